// IAM-style glob (`*` any run, `?` one character) as a regular expression, matched whole.
export function globToRegExp(pattern: string, flags = "i"): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}
