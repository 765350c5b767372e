import type { ReadStream } from "node:tty";

/** Ctrl-C at the prompt (raw mode turns it into a character instead of SIGINT). */
export class PromptInterrupted extends Error {
  constructor() {
    super("interrupted at the prompt");
    this.name = "PromptInterrupted";
  }
}

/** Ctrl-D on an empty line, or the terminal closed: nothing was entered. */
export class PromptEnded extends Error {
  constructor() {
    super("no input at the prompt");
    this.name = "PromptEnded";
  }
}

// Reads one line from the terminal without echoing it, as for a password: the terminal is put in
// raw mode, so it shows nothing; Enter ends the line, Backspace deletes a character, Ctrl-U the
// line, Ctrl-C interrupts, Ctrl-D on an empty line ends the input. Whatever happens the terminal
// is restored and reading stops, so the command started afterwards gets the terminal as it was.
export function readHiddenLine(
  input: ReadStream,
  write: (text: string) => void,
  prompt: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = "";
    const wasRaw = input.isRaw;
    const finish = (settle: () => void) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onError);
      input.setRawMode(wasRaw);
      input.pause();
      write("\n");
      settle();
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === "\r" || char === "\n") return finish(() => resolve(line));
        if (char === "\u0003") return finish(() => reject(new PromptInterrupted()));
        if (char === "\u0004") {
          if (line === "") return finish(() => reject(new PromptEnded()));
        } else if (char === "\u007f" || char === "\b") {
          line = [...line].slice(0, -1).join("");
        } else if (char === "\u0015") {
          line = "";
        } else if (char >= " ") {
          line += char;
        }
      }
    };
    const onEnd = () => finish(() => reject(new PromptEnded()));
    const onError = (error: Error) => finish(() => reject(error));
    write(prompt);
    input.setRawMode(true);
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", onError);
    input.resume();
  });
}
