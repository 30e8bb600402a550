// The provisioning wizard's view logic (no rules: Rust checks every field and runs every step).
import type { ProvisionProgress } from "./bindings/ProvisionProgress";
import type { StepState } from "./bindings/StepState";

/** What each step state reads as in the step list. */
export function stepStateLabel(state: StepState): string {
  switch (state) {
    case "pending":
      return "Pending";
    case "running":
      return "Running…";
    case "waiting":
      return "Waiting for Azure…";
    case "done":
      return "Done";
    case "skipped":
      return "Already there";
    case "failed":
      return "Failed";
  }
}

/** The step a "Retry from here" button belongs to: the failed one, if any. */
export function failedStep(progress: ProvisionProgress | null): string | null {
  return progress?.steps.find((step) => step.state === "failed")?.id ?? null;
}

/** True once every step is done or skipped. */
export function provisioned(progress: ProvisionProgress | null): boolean {
  return progress !== null && progress.finished && progress.steps.every((s) => s.state === "done" || s.state === "skipped");
}

export interface Timers {
  set: (run: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clear: (id: ReturnType<typeof setTimeout>) => void;
}

/**
 * Calls `run` with the latest value once typing pauses for `delayMs`; an earlier call's answer
 * arriving late is dropped (only the latest value's answer is delivered).
 */
export function debounced<T, R>(
  run: (value: T) => Promise<R>,
  deliver: (value: T, answer: R) => void,
  fail: (value: T, error: unknown) => void,
  delayMs = 400,
  // Called through arrows: WebKit refuses `setTimeout` called as a method of another object.
  timers: Timers = { set: (run, ms) => setTimeout(run, ms), clear: (id) => clearTimeout(id) },
): (value: T) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let latest = 0;
  return (value: T) => {
    if (timer !== null) timers.clear(timer);
    const ticket = ++latest;
    timer = timers.set(() => {
      timer = null;
      run(value).then(
        (answer) => {
          if (ticket === latest) deliver(value, answer);
        },
        (error) => {
          if (ticket === latest) fail(value, error);
        },
      );
    }, delayMs);
  };
}
