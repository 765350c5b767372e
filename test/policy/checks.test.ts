import { describe, expect, it } from "vitest";
import { checkActions } from "../../src/policy/action-catalogue.js";
import { analyzeTask } from "../../src/policy/analyze-task.js";
import { LINT_RULES, lintTask } from "../../src/policy/lint-rules.js";
import { checkPolicySize, measurePolicy } from "../../src/policy/policy-size.js";
import { renderSessionPolicy } from "../../src/policy/render-policy.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import type { TaskDefinition } from "../../src/task/model.js";
import { taskFileWith } from "../helpers/task-files.js";

const ROLE = "role: arn:aws:iam::123456789012:role/r\ndescription: test task";

function task(body: string): TaskDefinition {
  const parsed = parseTaskFile("taskaccess.yaml", taskFileWith(body)).tasks[0];
  if (!parsed) throw new Error("no task");
  return parsed;
}

function allow(actions: string, resources = "['arn:aws:s3:::b/*']"): string {
  return `${ROLE}\nallow:\n  - actions: ${actions}\n    resources: ${resources}`;
}

describe("session-policy size", () => {
  it("reports characters and the percentage of the 2,048 limit", () => {
    const rendered = renderSessionPolicy(task(allow("[s3:GetObject]")));
    expect(measurePolicy(rendered)).toEqual({
      characters: rendered.json.length,
      limit: 2048,
      percent: Math.round((rendered.json.length / 2048) * 100),
    });
    expect(checkPolicySize(rendered)).toEqual([]);
  });

  it("refuses a policy over the limit, naming the biggest statements", () => {
    const resources = Array.from(
      { length: 40 },
      (_, i) => `'arn:aws:s3:::bucket-number-${i}/some/long/prefix/*'`,
    );
    const body = `${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    resources: ['arn:aws:s3:::small/*']\n  - actions: [s3:PutObject]\n    resources: [${resources.join(", ")}]`;
    const findings = checkPolicySize(renderSessionPolicy(task(body)));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.rule).toBe("policy-too-large");
    expect(findings[0]?.severity).toBe("error");
    expect(findings[0]?.message).toMatch(
      /^the session policy is \d+ characters, over the STS limit of 2048 \(\d+%\); biggest statements: allow\[1\] \(\d+ characters\), allow\[0\] \(\d+ characters\)$/,
    );
    expect(findings[0]?.path).toEqual(["tasks", "t", "allow", 1]);
  });

  it("accepts exactly 2,048 characters and refuses 2,049", () => {
    const base = renderSessionPolicy(task(allow("[s3:GetObject]", "['arn:aws:s3:::x']")));
    const pad = 2048 - base.json.length;
    const exact = renderSessionPolicy(task(allow("[s3:GetObject]", `['arn:aws:s3:::x${"a".repeat(pad)}']`)));
    expect(exact.json.length).toBe(2048);
    expect(checkPolicySize(exact)).toEqual([]);
    const over = renderSessionPolicy(
      task(allow("[s3:GetObject]", `['arn:aws:s3:::x${"a".repeat(pad + 1)}']`)),
    );
    expect(checkPolicySize(over).map((finding) => finding.rule)).toEqual(["policy-too-large"]);
  });

  it("refuses characters STS does not accept in a session policy", () => {
    const findings = checkPolicySize(
      renderSessionPolicy(task(allow("[s3:GetObject]", "['arn:aws:s3:::日本/*']"))),
    );
    expect(findings.map((finding) => finding.rule)).toEqual(["policy-charset"]);
  });
});

describe("action catalogue", () => {
  it("accepts real actions in any case, and wildcards that match", async () => {
    expect(
      await checkActions(task(allow("[s3:PutObject, S3:getobject, s3:Get*Tagging, 's3:?etObject']"))),
    ).toEqual([]);
  });
  it("refuses an unknown action with a suggestion", async () => {
    const [finding] = await checkActions(task(allow("[s3:PutObjects]")));
    expect(finding).toMatchObject({
      rule: "unknown-action",
      severity: "error",
      message: "unknown action s3:PutObjects",
      hint: "did you mean s3:PutObject?",
      path: ["tasks", "t", "allow", 0, "actions", 0],
    });
  });
  it("refuses an unknown service with a suggestion", async () => {
    const [finding] = await checkActions(task(allow("[s4:GetObject]")));
    expect(finding).toMatchObject({
      rule: "unknown-service",
      message: 'unknown AWS service prefix "s4" in s4:GetObject',
      hint: "did you mean s3:GetObject?",
    });
  });
  it("refuses a wildcard that matches nothing", async () => {
    const [finding] = await checkActions(task(allow("[s3:Frobnicate*]")));
    expect(finding).toMatchObject({
      rule: "wildcard-matches-nothing",
      message: "s3:Frobnicate* matches no s3 action",
    });
  });
});

describe("lint rules", () => {
  const ruleIds = (body: string) =>
    lintTask(task(body)).map((finding) => `${finding.severity}:${finding.rule}`);

  it("has an id, severity and why for every rule", () => {
    for (const rule of LINT_RULES) {
      expect(rule.id).toMatch(/^[a-z-]+$/);
      expect(["error", "warning"]).toContain(rule.severity);
      expect(rule.why.length).toBeGreaterThan(20);
    }
  });
  it("passes a narrow task", () => {
    expect(ruleIds(allow("[s3:GetObject]"))).toEqual([]);
  });
  it("wildcard-action: * is an error", () => {
    expect(ruleIds(allow("['*']"))).toEqual([
      "error:wildcard-action",
      "error:privilege-escalation",
      "error:escape-assume-role",
      "error:escape-role-policy",
      "error:escape-create-identity",
      "error:escape-pass-role",
      "error:escape-resource-policy",
      "error:escape-interactive-session",
    ]);
  });
  it("service-wildcard-action: s3:* is a warning", () => {
    expect(ruleIds(allow("['s3:*']"))).toEqual([
      "warning:service-wildcard-action",
      "error:escape-resource-policy",
    ]);
    expect(ruleIds(allow("['dynamodb:*']"))).toEqual(["warning:service-wildcard-action"]);
  });
  it("not-action: NotAction in an allow is an error, in a deny it is fine", () => {
    // An Allow with notActions also grants every escape action it does not exclude.
    expect(ruleIds(`${ROLE}\nallow:\n  - notActions: [iam:*]\n    resources: ['arn:aws:s3:::b/*']`)).toEqual([
      "error:not-action",
      "error:escape-assume-role",
      "error:escape-resource-policy",
      "error:escape-interactive-session",
    ]);
    expect(
      ruleIds(`${allow("[s3:GetObject]")}\ndeny:\n  - notActions: [s3:GetObject]\n    resources: ['*']`),
    ).toEqual([]);
  });
  it("not-resource: NotResource in an allow is a warning", () => {
    expect(
      ruleIds(`${ROLE}\nallow:\n  - actions: [s3:GetObject]\n    notResources: ['arn:aws:s3:::secret/*']`),
    ).toEqual(["warning:not-resource"]);
  });
  it("privilege-escalation: always-escalating actions, whatever the resource", () => {
    const findings = lintTask(
      task(allow("[iam:CreatePolicyVersion]", "['arn:aws:iam::123456789012:policy/ci']")),
    );
    expect(findings.map((finding) => finding.rule)).toEqual(["privilege-escalation"]);
    expect(findings[0]?.message).toBe(
      '"iam:CreatePolicyVersion" allows privilege escalation: iam:CreatePolicyVersion',
    );
    // Role policies moved to escape-role-policy; user and group policies stay here.
    expect(ruleIds(allow("['iam:Put*Policy']", "['arn:aws:iam::123456789012:role/x']"))).toEqual([
      "error:privilege-escalation",
      "error:escape-role-policy",
    ]);
    expect(ruleIds(allow("['iam:Attach*']", "['arn:aws:iam::123456789012:role/x']"))).toEqual([
      "error:privilege-escalation",
      "error:escape-role-policy",
    ]);
  });
  it("privilege-escalation: PassRole, AssumeRole and UpdateFunctionCode only on a wildcard resource", () => {
    // wildcard-resource needs the catalogue now: test/policy/resource-types.test.ts.
    expect(ruleIds(allow("[iam:PassRole]", "['*']"))).toEqual(["error:privilege-escalation"]);
    expect(ruleIds(allow("[iam:PassRole]", "['arn:aws:iam::123456789012:role/*']"))).toEqual([
      "error:privilege-escalation",
    ]);
    expect(ruleIds(allow("[iam:PassRole]", "['arn:aws:iam::123456789012:role/app-task']"))).toEqual([]);
    expect(ruleIds(allow("[sts:AssumeRole]", "['*']"))).toContain("error:escape-assume-role");
    expect(
      ruleIds(allow("[lambda:UpdateFunctionCode]", "['arn:aws:lambda:eu-west-1:123456789012:function:*']")),
    ).toEqual(["error:privilege-escalation"]);
  });
  it("privilege-escalation: notResources and inner wildcards count as wildcard resources", () => {
    expect(
      ruleIds(
        `${ROLE}\nallow:\n  - actions: [iam:PassRole]\n    notResources: ['arn:aws:iam::123456789012:role/admin']`,
      ),
    ).toEqual(["warning:not-resource", "error:privilege-escalation"]);
    expect(ruleIds(allow("[iam:PassRole]", "['arn:aws:iam::123456789012:role/dep*-x']"))).toEqual([
      "error:privilege-escalation",
    ]);
  });
  it("long-duration: above 1h is a warning", () => {
    expect(ruleIds(`${allow("[s3:GetObject]")}\nduration: 1h`)).toEqual([]);
    expect(ruleIds(`${allow("[s3:GetObject]")}\nduration: 1h1m`)).toEqual(["warning:long-duration"]);
    expect(lintTask(task(`${allow("[s3:GetObject]")}\nduration: 3601`))[0]?.message).toBe(
      "credential lifetime is 1h1s, above 1 hour",
    );
    expect(lintTask(task(`${allow("[s3:GetObject]")}\nduration: 2h`))[0]?.hint).toContain(
      "`--credentials server`, which refreshes them",
    );
  });
  it("missing-description: a warning", () => {
    expect(
      ruleIds(
        "role: arn:aws:iam::123456789012:role/r\nallow:\n  - actions: [s3:GetObject]\n    resources: ['*']",
      ),
    ).toEqual(["warning:missing-description"]);
  });
});

describe("analyzeTask", () => {
  it("puts errors before warnings and attaches file positions", async () => {
    const text = taskFileWith(
      `${allow("['dynamodb:*', dynamodb:PutItems]", "['arn:aws:dynamodb:eu-west-1:123456789012:table/t']")}`,
    );
    const file = parseTaskFile("taskaccess.yaml", text);
    const analysis = await analyzeTask(file, file.tasks[0] as TaskDefinition);
    expect(
      analysis.findings.map((finding) => [finding.rule, finding.location?.line, finding.location?.column]),
    ).toEqual([
      ["unknown-action", 7, 33],
      ["service-wildcard-action", 7, 19],
    ]);
  });
});
