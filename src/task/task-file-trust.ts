import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Finding } from "../policy/finding.js";

/** The parts of fs.Stats the check reads. */
export interface Ownership {
  uid: number;
  mode: number;
}

const WHY =
  "whoever can write the task file chooses which role taskaccess assumes, the access it grants and where the session log goes; a file found by walking up from the current directory may not be yours";

// Warnings for a task file that someone else wrote or can rewrite: one that belongs to another user
// (neither you nor root), or that others can write, or whose directory others can write without the
// sticky bit (they can then replace the file). Nothing on systems without uids (Windows).
export async function checkTaskFileTrust(
  path: string,
  displayPath: string,
  file: Ownership,
  uid: number | undefined = process.getuid?.(),
): Promise<Finding[]> {
  if (uid === undefined) return [];
  const directory = await stat(dirname(path)).catch(() => undefined);
  return trustFindings(displayPath, file, directory, uid);
}

// The same, from the stats alone: testable without chown.
export function trustFindings(
  displayPath: string,
  file: Ownership,
  directory: Ownership | undefined,
  uid: number,
): Finding[] {
  const findings: Finding[] = [];
  if (file.uid !== uid && file.uid !== 0) {
    findings.push({
      rule: "task-file-owner",
      severity: "warning",
      message: `${displayPath} belongs to another user (uid ${file.uid}; you are uid ${uid})`,
      why: WHY,
      hint: `check what it grants before you use it (taskaccess explain), or name your own file with --file PATH`,
    });
  }
  const writers = othersWhoCanWrite(file.mode);
  if (writers) {
    findings.push(
      writable(
        `${displayPath} can be written by ${writers}`,
        `chmod ${chmodWho(file.mode)}-w ${displayPath}`,
      ),
    );
  }
  const dirWriters =
    directory && (directory.mode & 0o1000) === 0 ? othersWhoCanWrite(directory.mode) : undefined;
  if (dirWriters) {
    const shown = dirname(displayPath);
    findings.push(
      writable(
        `${displayPath} is in a directory that ${dirWriters} can write, without the sticky bit (${shown}): they can replace the file`,
        `chmod ${chmodWho(directory?.mode ?? 0)}-w ${shown}, or keep the task file in a directory only you can write`,
      ),
    );
  }
  return findings;
}

function writable(message: string, hint: string): Finding {
  return { rule: "task-file-writable", severity: "warning", message, why: WHY, hint };
}

function othersWhoCanWrite(mode: number): string | undefined {
  const group = (mode & 0o020) !== 0;
  const other = (mode & 0o002) !== 0;
  if (group && other) return "its group and every other user";
  if (group) return "its group";
  return other ? "every other user" : undefined;
}

function chmodWho(mode: number): string {
  return `${mode & 0o020 ? "g" : ""}${mode & 0o002 ? "o" : ""}`;
}
