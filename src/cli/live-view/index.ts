/**
 * The live view: the frame of ./render.ts redrawn in place on a terminal (log-update rewrites only
 * the lines that changed), from the statuses watchDeployment's polls read, at most FRAME_MS apart
 * — between polls too, so elapsed times and the ETA keep moving. Plain lines (../watch.ts's
 * printer) wherever a frame cannot be redrawn: not a terminal, TERM=dumb, CI, or --plain.
 */
import type { Manifest } from '../../manifest/schema';
import type { Plan } from '../../plan';
import type { DeploymentStatus } from '../../client/status';
import type { WatchEnd, WatchView } from '../watch';
import { renderFrame, type FrameOptions, type LiveStatus } from './render';

/** At most five frames a second. */
export const FRAME_MS = 200;

/** Whether to draw the live view on `stream`: a terminal that can move its cursor, unless --plain or CI. */
export function liveViewWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env, plain = false): boolean {
  if (plain || stream.isTTY !== true) return false;
  if (env.TERM === 'dumb') return false;
  // CI logs are files: a redrawn frame would be every frame, one after the other.
  return env.CI === undefined || env.CI === '' || env.CI === 'false' || env.CI === '0';
}

/** What the view knows besides the status: the plan's graph and the durations to expect. */
export interface LiveViewOptions extends Pick<FrameOptions, 'dependencies' | 'planMs' | 'learnedMs'> {
  /** Default: process.stdout. */
  stream?: NodeJS.WriteStream;
  /** The clock (tests). */
  now?: () => number;
  /**
   * Ctrl-C: the frame stops being redrawn at once, since the interrupt's message is written under
   * it (a redraw would erase the wrong lines).
   */
  stop?: Promise<void>;
}

/** The dependencies and declared durations of a manifest's plan, as the view weighs them. */
export function planInputs(manifest: Manifest, plan: Plan): Pick<FrameOptions, 'dependencies' | 'planMs'> {
  const planMs: Record<string, number> = {};
  // Without simulate.duration the plan weighs a service 1 (a unit, not 1 ms): no duration is known.
  for (const s of manifest.deployment.services) if (s.simulate) planMs[s.name] = plan.durationMs[s.name];
  return { dependencies: plan.dependencies, planMs };
}

type LogUpdate = ReturnType<typeof import('log-update').createLogUpdate>;

/**
 * The live view as watchDeployment's view, or undefined when log-update cannot be loaded (it is an
 * ES module: Node before 20.19 cannot require it); the caller then prints plain lines.
 */
export function createLiveView(opts: LiveViewOptions = {}): WatchView | undefined {
  let create: typeof import('log-update').createLogUpdate;
  try {
    // Loaded here, not at the top: only a terminal needs it, and jest (CommonJS) cannot load it.
    ({ createLogUpdate: create } = require('log-update') as typeof import('log-update'));
  } catch {
    return undefined;
  }
  return new LiveView(create, opts);
}

class LiveView implements WatchView {
  private readonly stream: NodeJS.WriteStream;
  private readonly draw: LogUpdate;
  private readonly now: () => number;
  private latest: LiveStatus | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private cursorHidden = false;
  private frozen = false;
  private readonly showCursor = () => {
    if (this.cursorHidden) this.stream.write(SHOW_CURSOR);
    this.cursorHidden = false;
  };

  constructor(
    create: typeof import('log-update').createLogUpdate,
    private readonly opts: LiveViewOptions,
  ) {
    this.stream = opts.stream ?? process.stdout;
    this.now = opts.now ?? Date.now;
    const stream = this.stream;
    // A pseudo-terminal nobody sized says 0 columns and 0 rows (log-update would draw nothing):
    // draw for 80×24 then.
    const sized = {
      isTTY: stream.isTTY,
      get columns() {
        return stream.columns || 80;
      },
      get rows() {
        return stream.rows || 24;
      },
      write: (chunk: string) => stream.write(chunk),
    };
    // log-update's own cursor hiding restores the cursor through signal-exit, which re-raises a
    // SIGINT once the CLI's own (once) handler has run, killing the process instead of letting it
    // detach and clean up: the view hides and shows the cursor itself.
    this.draw = create(sized as unknown as NodeJS.WriteStream, { showCursor: true });
    void opts.stop?.then(() => this.freeze());
  }

  private freeze(): void {
    this.frozen = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  update(status: DeploymentStatus): void {
    const first = this.latest === undefined;
    this.latest = status;
    if (!first || this.frozen) return; // the ticker draws it, at most FRAME_MS after the last frame
    if (this.stream.isTTY) {
      this.stream.write(HIDE_CURSOR);
      this.cursorHidden = true;
      process.once('exit', this.showCursor);
    }
    this.frame(false);
    this.ticker = setInterval(() => this.frame(false), FRAME_MS);
    this.ticker.unref();
  }

  close(end?: WatchEnd): void {
    // Detached (Ctrl-C) or failed: the last frame stays as it was.
    if (this.latest && end !== undefined && end !== 'detached' && !this.frozen) this.frame(true);
    this.freeze();
    this.draw.done();
    this.showCursor();
    process.removeListener('exit', this.showCursor);
  }

  private frame(final: boolean): void {
    if (!this.latest || this.frozen) return;
    const lines = renderFrame(this.latest, {
      now: this.now(),
      width: this.stream.columns || 80,
      height: this.stream.rows || 24,
      color: this.stream.hasColors?.() ?? false,
      dependencies: this.opts.dependencies,
      planMs: this.opts.planMs,
      learnedMs: this.opts.learnedMs,
      final,
    });
    this.draw(lines.join('\n'));
  }
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
