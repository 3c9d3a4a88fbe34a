import { parseJsonPath, pickJsonPath } from './json-path';
import { JSON_PATH_PATTERN } from './schema';

describe('JSON paths for outputs', () => {
  const doc = {
    id: 'rel-1',
    release: { id: 'r-9', urls: ['https://a', 'https://b'], replicas: 3, ready: false, extra: null },
    items: [{ name: 'first' }, [10, 20]],
    'dash-key': 'dashed',
  };

  it('parses keys and indexes in order', () => {
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$.a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(parseJsonPath('$[2][10]')).toEqual([2, 10]);
  });

  it('rejects what the schema rejects', () => {
    for (const bad of ['a.b', '$.', '$..a', '$[x]', '$.a[*]', '$.1a', '$[-1]']) {
      expect(JSON_PATH_PATTERN.test(bad)).toBe(false);
      expect(() => parseJsonPath(bad)).toThrow(RangeError);
    }
  });

  it('finds nested values of any kind', () => {
    expect(pickJsonPath(doc, '$.release.id')).toEqual({ found: true, value: 'r-9' });
    expect(pickJsonPath(doc, '$.release.urls[1]')).toEqual({ found: true, value: 'https://b' });
    expect(pickJsonPath(doc, '$.release.replicas')).toEqual({ found: true, value: 3 });
    expect(pickJsonPath(doc, '$.release.ready')).toEqual({ found: true, value: false });
    expect(pickJsonPath(doc, '$.release.extra')).toEqual({ found: true, value: null });
    expect(pickJsonPath(doc, '$.items[0].name')).toEqual({ found: true, value: 'first' });
    expect(pickJsonPath(doc, '$.items[1][1]')).toEqual({ found: true, value: 20 });
    expect(pickJsonPath(doc, '$.dash-key')).toEqual({ found: true, value: 'dashed' });
    expect(pickJsonPath(doc, '$')).toEqual({ found: true, value: doc });
  });

  it('reports missing keys, out-of-range indexes and the wrong kind of value as not found', () => {
    for (const path of ['$.nope', '$.release.urls[2]', '$.release.id.x', '$.release[0]', '$.items.name', '$.release.extra.x', '$.constructor', '$.release.urls.length']) {
      expect(pickJsonPath(doc, path)).toEqual({ found: false });
    }
  });
});
