import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSessionPolicy } from "../../src/policy/render-policy.js";
import { parseTaskFile } from "../../src/task/load-task-file.js";
import { expectGolden } from "../helpers/golden.js";

const GOLDEN = join(import.meta.dirname, "golden");

const FILE = `version: 1
tasks:
  deploy:
    role: arn:aws:iam::123456789012:role/deployer
    params:
      version: { pattern: '[0-9]+\\.[0-9]+\\.[0-9]+' }
    allow:
      - actions: [s3:PutObject, s3:GetObject]
        resources: ['arn:aws:s3:::releases/app/{{version}}/*']
      - actions: [ecs:UpdateService]
        resources: ['arn:aws:ecs:eu-west-1:123456789012:service/prod/app']
        conditions: { StringEquals: { 'aws:RequestedRegion': eu-west-1 } }
  everything:
    role: arn:aws:iam::123456789012:role/r
    params:
      env: { pattern: 'dev|prod' }
    allow:
      - sid: ReadOwn
        actions: [s3:GetObject, s3:GetObject, s3:ListBucket]
        resources: ['arn:aws:s3:::data-{{env}}', 'arn:aws:s3:::data-{{env}}/\${aws:username}/*']
        conditions:
          StringLike: { 's3:prefix': ['{{env}}/*', 'shared/*'] }
          Bool: { 'aws:SecureTransport': true }
          NumericLessThanEquals: { 's3:max-keys': 100 }
      - actions: [ec2:DescribeInstances]
        resources: ['*']
    deny:
      - notActions: [s3:GetObject]
        notResources: ['arn:aws:s3:::data-{{env}}/*']
`;

describe("renderSessionPolicy", () => {
  const file = parseTaskFile("taskaccess.yaml", FILE);
  const [deploy, everything] = file.tasks;
  if (!deploy || !everything) throw new Error("fixture tasks missing");

  it("renders the deploy example (golden)", () => {
    const rendered = renderSessionPolicy(deploy, { version: "1.4.2" });
    expectGolden(join(GOLDEN, "deploy.json"), `${rendered.json}\n`);
  });

  it("renders every statement feature: sid, dedupe, conditions, deny with Not* (golden)", () => {
    const rendered = renderSessionPolicy(everything, { env: "prod" });
    expectGolden(join(GOLDEN, "everything.json"), `${rendered.json}\n`);
    expect(rendered.statementPaths).toEqual([
      ["tasks", "everything", "allow", 0],
      ["tasks", "everything", "allow", 1],
      ["tasks", "everything", "deny", 0],
    ]);
  });

  it("is deterministic: same task and values, same bytes", () => {
    const a = renderSessionPolicy(everything, { env: "dev" }).json;
    const b = renderSessionPolicy(parseTaskFile("again.yaml", FILE).tasks[1] ?? everything, {
      env: "dev",
    }).json;
    expect(a).toBe(b);
  });

  it("leaves placeholders as written when no values are given", () => {
    expect(renderSessionPolicy(deploy).json).toContain("arn:aws:s3:::releases/app/{{version}}/*");
  });

  it("produces minified JSON that parses to the document", () => {
    const rendered = renderSessionPolicy(deploy, { version: "1.0.0" });
    expect(rendered.json).not.toMatch(/\s/);
    expect(JSON.parse(rendered.json)).toEqual(rendered.document);
    expect(rendered.document.Version).toBe("2012-10-17");
  });
});
