import { isAbsolute, relative, resolve, sep } from "node:path";
import type { SourceLocation } from "../task/diagnostic.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface AnnotationInput {
  kind: "error" | "warning";
  message: string;
  location?: SourceLocation | undefined;
  title?: string | undefined;
}

// GitHub sets GITHUB_ACTIONS=true in every step; elsewhere `::error` lines would be noise.
export function inGithubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

// `::error file=F,line=L,col=C::message`: GitHub shows it on that line in the run and the PR.
export function formatAnnotation(input: AnnotationInput, context: { env: Env; cwd: string }): string {
  // GitHub reads workflow commands from the step's stdout ("Workflow commands for GitHub Actions",
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands).
  const properties: string[] = [];
  const { location } = input;
  if (location) {
    properties.push(`file=${escapeProperty(workspacePath(location.file, context))}`);
    properties.push(`line=${location.line}`, `col=${location.column}`);
    if (location.length > 1) properties.push(`endColumn=${location.column + location.length - 1}`);
  }
  if (input.title) properties.push(`title=${escapeProperty(input.title)}`);
  const head = properties.length > 0 ? `::${input.kind} ${properties.join(",")}` : `::${input.kind}`;
  return `${head}::${escapeData(input.message)}\n`;
}

// The message part: GitHub's toolkit (actions/toolkit, core/src/command.ts) escapes %, CR and LF.
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

// A property value: as the message, and also `:` and `,`, which end a value.
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// GitHub links an annotation to the file only by its path relative to the repository checkout.
function workspacePath(file: string, context: { env: Env; cwd: string }): string {
  const workspace = context.env.GITHUB_WORKSPACE;
  const absolute = resolve(context.cwd, file);
  if (workspace && isAbsolute(workspace)) {
    const inside = relative(workspace, absolute);
    if (inside && inside.split(sep)[0] !== ".." && !isAbsolute(inside)) return inside.split(sep).join("/");
  }
  return isAbsolute(file) ? file : relative(context.cwd, absolute) || file;
}
