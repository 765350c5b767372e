import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/run-cli.js";

interface LsNode {
  dependencies?: Record<string, LsNode & { path?: string }>;
  path?: string;
}

const COPYLEFT = /\b(A?GPL|LGPL|MPL|EPL|EUPL|CDDL|SSPL|OSL|CC-BY-SA)\b/i;

describe("licences", () => {
  it("no runtime dependency, direct or transitive, is under a copyleft licence", () => {
    const tree = JSON.parse(
      execFileSync("npm", ["ls", "--omit=dev", "--all", "--json", "--long"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      }),
    ) as LsNode;
    const found = new Map<string, string>();
    const visit = (node: LsNode) => {
      for (const [name, child] of Object.entries(node.dependencies ?? {})) {
        if (found.has(name) || !child.path) continue;
        const pkg = JSON.parse(readFileSync(join(child.path, "package.json"), "utf8")) as {
          license?: unknown;
        };
        found.set(name, typeof pkg.license === "string" ? pkg.license : JSON.stringify(pkg.license));
        visit(child);
      }
    };
    visit(tree);
    expect(found.size).toBeGreaterThan(10);
    const copyleft = [...found].filter(([, licence]) => COPYLEFT.test(licence));
    expect(copyleft).toEqual([]);
  });
  it("the AGPL test oracle stays a development dependency", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain("@cloud-copilot/iam-simulate");
    expect(Object.keys(pkg.devDependencies)).toContain("@cloud-copilot/iam-simulate");
    const shipped = readdirSync(join(REPO_ROOT, "src"), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => readFileSync(join(REPO_ROOT, "src", file), "utf8").includes("iam-simulate"));
    expect(shipped).toEqual([]);
  });
});
