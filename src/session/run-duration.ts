import { UsageError } from "../errors.js";
import { formatDuration, parseDuration } from "../task/duration.js";
import type { TaskDefinition } from "../task/model.js";
import { MIN_DURATION_SECONDS } from "../task/schema.js";

// The credential lifetime a run asks STS for: the task's `duration`, or `run --duration`, which may
// shorten it for one run but never lengthen it (a longer lifetime is a change to the task file,
// where it is reviewed) nor go below AssumeRole's minimum DurationSeconds of 900 s (STS API
// Reference, AssumeRole: "can range from 900 seconds (15 minutes)"; botocore sts model,
// roleDurationSecondsType min 900).
export function runDurationSeconds(task: TaskDefinition, flag: string | undefined): number {
  if (flag === undefined) return task.durationSeconds;
  const seconds = parseDuration(flag);
  if (seconds === undefined) {
    throw new UsageError(
      `--duration ${JSON.stringify(flag)} is not a duration`,
      "write it as in the task file: 900, 15m or 1h30m",
    );
  }
  if (seconds < MIN_DURATION_SECONDS) {
    throw new UsageError(
      `--duration ${flag} is shorter than ${formatDuration(MIN_DURATION_SECONDS)} (${MIN_DURATION_SECONDS} s), the least STS issues credentials for`,
      `give 15m or more, up to the task's duration ${formatDuration(task.durationSeconds)}`,
    );
  }
  if (seconds > task.durationSeconds) {
    throw new UsageError(
      `--duration ${flag} is longer than the duration of task "${task.name}", ${formatDuration(task.durationSeconds)}: --duration can only shorten it`,
      "a longer lifetime is a change to the task's `duration` in the task file",
    );
  }
  return seconds;
}
