import type { SourceLocation } from "./diagnostic.js";

// Maps character offsets in a task file to line/column positions and the text of that line.
export class SourceText {
  readonly file: string;
  readonly text: string;
  private readonly lineStarts: number[];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  // Turns an offset range into a location, clipped to the first line it touches.
  locate(start: number, end: number = start + 1): SourceLocation {
    const offset = Math.max(0, Math.min(start, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    const lineStart = this.lineStarts[low] ?? 0;
    const nextStart = this.lineStarts[low + 1] ?? this.text.length + 1;
    const lineText = this.text.slice(lineStart, nextStart - 1).replace(/\r$/, "");
    const column = offset - lineStart + 1;
    const length = Math.max(1, Math.min(end, lineStart + lineText.length) - offset);
    return { file: this.file, line: low + 1, column, length, lineText };
  }
}
