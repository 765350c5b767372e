// Collects a repeatable option (such as --param) into a list, for commander.
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
