/** Copying, hashing and snapshotting a module; recognising a module that keeps its own state. */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../testing';
import { BACKEND_OVERRIDE_FILE, copyModule, declaresBackend, saveSnapshot, TFVARS_FILE } from './module-files';
import { localBackendOverride } from './workspace';

function writeTree(root: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe('module files', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('tofu-files')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies the module without tofu working files, local state or generated files, and hashes the content', async () => {
    const src = writeTree(path.join(dir, 'src'), {
      'main.tf': 'resource "terraform_data" "x" {}',
      'modules/sub/main.tf': 'variable "y" {}',
      '.terraform/providers/junk': 'x',
      'terraform.tfstate': '{"secret":"in an old local state"}',
      [TFVARS_FILE]: '{}',
      [BACKEND_OVERRIDE_FILE]: '',
    });
    const first = await copyModule(src, path.join(dir, 'a'));
    expect(first.files).toEqual(['main.tf', 'modules/sub/main.tf']);
    expect(fs.readdirSync(path.join(dir, 'a')).sort()).toEqual(['main.tf', 'modules']);

    expect((await copyModule(src, path.join(dir, 'b'))).hash).toBe(first.hash);
    fs.writeFileSync(path.join(src, 'modules/sub/main.tf'), 'variable "z" {}');
    expect((await copyModule(src, path.join(dir, 'b'))).hash).not.toBe(first.hash);
  });

  it('keeps a snapshot once per content, complete or not at all', async () => {
    const src = writeTree(path.join(dir, 'src'), { 'main.tf': 'a', 'x/y.tf': 'b' });
    const { files } = await copyModule(src, path.join(dir, 'work'));
    const snapshot = path.join(dir, 'snapshots', 'h1');
    fs.mkdirSync(path.dirname(snapshot));
    await saveSnapshot(path.join(dir, 'work'), files, snapshot);
    expect(fs.readFileSync(path.join(snapshot, 'x/y.tf'), 'utf8')).toBe('b');
    fs.writeFileSync(path.join(dir, 'work', 'main.tf'), 'changed');
    await saveSnapshot(path.join(dir, 'work'), files, snapshot);
    expect(fs.readFileSync(path.join(snapshot, 'main.tf'), 'utf8')).toBe('a');
    expect(fs.readdirSync(path.join(dir, 'snapshots'))).toEqual(['h1']);
  });

  it.each([
    ['a backend block', 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}', true],
    ['a cloud block', 'terraform {\n  cloud {\n    organization = "o"\n  }\n}', true],
    ['no backend', 'resource "terraform_data" "x" {}', false],
    ['a commented-out backend', 'terraform {\n  # backend "s3" {}\n}', false],
  ])('a module with %s keeps its own state: %s', async (_what, hcl, expected) => {
    writeTree(dir, { 'main.tf': hcl, 'vars.tf': 'variable "backend" {}' });
    expect(await declaresBackend(dir)).toBe(expected);
  });

  it('writes the state path into the override as an HCL string, interpolation escaped', () => {
    expect(localBackendOverride('/data/${x}/a"b/terraform.tfstate')).toContain('path = "/data/$${x}/a\\"b/terraform.tfstate"');
  });
});
