import type { ChalkInstance } from "chalk";

// Aligns rows under a bold header, last column unpadded, as `list` and `log` print them.
export function formatTable(c: ChalkInstance, header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => visibleLength(row[i]))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [c.bold(line(header)), ...rows.map(line)].map((text) => `${text}\n`).join("");
}

// Colour codes take no room on the screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(cell: string | undefined): number {
  return (cell ?? "").replace(ANSI, "").length;
}

function pad(cell: string, width: number): string {
  return cell + " ".repeat(Math.max(0, width - visibleLength(cell)));
}
