import type { Finding } from "../policy/finding.js";
import type { SourceLocation } from "./diagnostic.js";
import type { YamlPath } from "./yaml-document.js";

// One allow or deny statement as the task file states it (parameters not yet substituted).
export interface StatementSpec {
  sid?: string | undefined;
  actions?: string[] | undefined;
  notActions?: string[] | undefined;
  resources?: string[] | undefined;
  notResources?: string[] | undefined;
  conditions?: Record<string, Record<string, ConditionValue | ConditionValue[]>> | undefined;
  /** Lint rule id → why this statement's findings of it are accepted (`acknowledge`). */
  acknowledge?: Record<string, string> | undefined;
  /** Where this statement sits in the task file, for findings. */
  path: YamlPath;
}

export type ConditionValue = string | number | boolean;

export interface ParamSpec {
  name: string;
  pattern: string;
  description?: string | undefined;
  default?: string | undefined;
}

// A task after validation: typed, with durations in seconds and defaults applied.
export interface TaskDefinition {
  name: string;
  description?: string | undefined;
  role: string;
  region?: string | undefined;
  /** The role that writes this task's denies (`revoker`); default: the base identity, or the task role in another account. */
  revoker?: string | undefined;
  durationSeconds: number;
  timeoutSeconds?: number | undefined;
  params: ParamSpec[];
  allow: StatementSpec[];
  deny: StatementSpec[];
  policyArns: string[];
  tags: Record<string, string>;
  /** STS ExternalId as written, {{param}} placeholders included; resolved by external-id.ts. */
  externalId?: string | undefined;
  reason: "required" | "optional";
  /** How the command gets its credentials when `run --credentials` does not say; default env. */
  credentials?: "env" | "server" | "file" | undefined;
  /** How the command is isolated when `run --isolation` does not say; default auto. */
  isolation?: "auto" | "namespace" | "none" | undefined;
  /** Lint rule id → why its findings are accepted for this task (`acknowledge`). */
  acknowledge?: Record<string, string> | undefined;
}

// A whole task file, with a way back from a YAML path to file:line:col.
export interface TaskFile {
  /** As shown to the user (relative to the working directory where that is shorter). */
  path: string;
  /** The directory holding the file: relative paths in it (such as `log`) resolve from here. */
  directory: string;
  /** Session log path from the file's `log` key, as written: always inside `directory` (log-setting.ts). */
  log?: string | undefined;
  region?: string | undefined;
  tasks: TaskDefinition[];
  locate: (path: YamlPath, target?: "key" | "value") => SourceLocation | undefined;
  /** Set when the file was read from disk: who else could have written it (task-file-trust.ts). */
  warnings?: Finding[] | undefined;
}

/** Credential lifetime when a task does not say: the STS minimum, the least standing access. */
export const DEFAULT_DURATION_SECONDS = 900;
