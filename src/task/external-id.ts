import type { TaskDefinition, TaskFile } from "./model.js";
import { substituteParams } from "./params.js";
import { TaskFileError } from "./task-file-error.js";

// STS's externalIdType (botocore/data/sts/2011-06-15/service-2.json, AssumeRoleRequest.ExternalId):
// at least 2 and at most 1224 characters, pattern [\w+=,.@:\/-]*.
const EXTERNAL_ID_CHAR = /[\w+=,.@:/-]/;
/** externalIdType's min. */
export const MIN_EXTERNAL_ID_LENGTH = 2;
/** externalIdType's max; schema.ts checks a literal externalId against it when the file is read. */
export const MAX_EXTERNAL_ID_LENGTH = 1224;

// What STS would refuse in an external id, or undefined when it takes it.
export function externalIdProblem(value: string): string | undefined {
  if (value.length < MIN_EXTERNAL_ID_LENGTH || value.length > MAX_EXTERNAL_ID_LENGTH) {
    const count = `${value.length} character${value.length === 1 ? "" : "s"}`;
    return `is ${count} long; STS takes ${MIN_EXTERNAL_ID_LENGTH} to ${MAX_EXTERNAL_ID_LENGTH}`;
  }
  const bad = [...value].find((char) => !EXTERNAL_ID_CHAR.test(char));
  if (bad !== undefined) {
    return `holds ${JSON.stringify(bad)}, which STS does not take in an ExternalId (only letters, digits and _+=,.@:/-)`;
  }
  return undefined;
}

// The ExternalId a run sends: the task's `externalId` with the run's parameter values filled in,
// checked against STS's limits before any AWS call (exit 65, pointing at the field); undefined
// when the task has none.
export function resolveExternalId(
  taskFile: TaskFile,
  task: TaskDefinition,
  params: Readonly<Record<string, string>>,
): string | undefined {
  if (task.externalId === undefined) return undefined;
  const value = substituteParams(task.externalId, params);
  const problem = externalIdProblem(value);
  if (problem === undefined) return value;
  const templated = value !== task.externalId;
  throw new TaskFileError([
    {
      message: `\`externalId\` ${templated ? "with the parameters filled in " : ""}${problem}`,
      location: taskFile.locate(["tasks", task.name, "externalId"], "value"),
      hint: templated
        ? "give a parameter value STS takes, and narrow the parameter's pattern to letters, digits and _+=,.@:/-"
        : undefined,
    },
  ]);
}
