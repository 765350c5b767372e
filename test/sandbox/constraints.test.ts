import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MAX_POLICY_ARNS, MAX_TAGS, type MemberConstraint, SHAPES } from "../../src/sandbox/constraints.js";

// Checks src/sandbox/constraints.ts against the botocore service models installed with the AWS CLI
// (v1; botocore ships them gzipped). Skipped only when botocore is not installed.

interface ModelShape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  member?: { shape: string };
  members?: Record<string, { shape: string; documentation?: string }>;
  error?: { code: string; httpStatusCode: number };
}

interface ServiceModel {
  shapes: Record<string, ModelShape>;
}

function botocoreData(): string | undefined {
  try {
    const dir = execFileSync(
      "python3",
      ["-c", "import botocore,os;print(os.path.dirname(botocore.__file__))"],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      },
    ).trim();
    return existsSync(join(dir, "data")) ? join(dir, "data") : undefined;
  } catch {
    return undefined;
  }
}

const DATA = botocoreData();

function loadModel(service: "sts" | "iam"): ServiceModel {
  const file = join(
    DATA ?? "",
    service,
    service === "sts" ? "2011-06-15" : "2010-05-08",
    "service-2.json.gz",
  );
  return JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as ServiceModel;
}

const models = DATA ? { sts: loadModel("sts"), iam: loadModel("iam") } : undefined;

function shapeOf(service: "sts" | "iam", name: string): ModelShape {
  const shape = models?.[service].shapes[name];
  if (!shape) throw new Error(`${service} model has no shape ${name}`);
  return shape;
}

// Where the sandbox and the installed model knowingly differ; the test fails if either side changes.
const KNOWN_DIFFERENCES: Record<string, Partial<Record<"min" | "max" | "pattern", unknown>>> = {
  // The STS model gives arnType a character-set pattern the IAM model does not have; the sandbox
  // shares one arnType (no pattern) between both, so control characters in a RoleArn are not a
  // ValidationError there (they fail the role lookup instead: AccessDenied).
  "sts.arnType": {
    pattern: "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+",
  },
  // IAM's serialNumberType (its MFA device operations) ends its pattern in + where STS's, which the
  // sandbox checks AssumeRole's SerialNumber with, has *; the length of 9 to 256 makes them the same.
  "iam.serialNumberType": { pattern: "[\\w+=/:,.@-]+" },
};

// Which shape each request member the sandbox validates has in the model, and which SHAPES entry the
// sandbox uses for it (src/sandbox/sts.ts and iam.ts; docs/sandbox.md, "Parameter validation").
const MEMBERS: Array<
  [service: "sts" | "iam", structure: string, member: string, sandboxShape: keyof typeof SHAPES]
> = [
  ["sts", "AssumeRoleRequest", "RoleArn", "arnType"],
  ["sts", "AssumeRoleRequest", "RoleSessionName", "roleSessionNameType"],
  ["sts", "AssumeRoleRequest", "DurationSeconds", "roleDurationSecondsType"],
  ["sts", "AssumeRoleRequest", "ExternalId", "externalIdType"],
  ["sts", "AssumeRoleRequest", "SourceIdentity", "sourceIdentityType"],
  ["sts", "AssumeRoleRequest", "SerialNumber", "serialNumberType"],
  ["sts", "AssumeRoleRequest", "TokenCode", "tokenCodeType"],
  ["sts", "PolicyDescriptorType", "arn", "arnType"],
  ["sts", "Tag", "Key", "tagKeyType"],
  ["sts", "Tag", "Value", "tagValueType"],
  ["iam", "GetRoleRequest", "RoleName", "roleNameType"],
  ["iam", "CreateRoleRequest", "RoleName", "roleNameType"],
  ["iam", "CreateRoleRequest", "AssumeRolePolicyDocument", "policyDocumentType"],
  ["iam", "CreateRoleRequest", "Path", "pathType"],
  ["iam", "CreateRoleRequest", "MaxSessionDuration", "roleMaxSessionDurationType"],
  ["iam", "CreateRoleRequest", "PermissionsBoundary", "arnType"],
  ["iam", "PutRolePolicyRequest", "PolicyName", "policyNameType"],
  ["iam", "PutRolePolicyRequest", "PolicyDocument", "policyDocumentType"],
  ["iam", "ListRolePoliciesRequest", "Marker", "markerType"],
  ["iam", "ListRolePoliciesRequest", "MaxItems", "maxItemsType"],
  ["iam", "ListAttachedRolePoliciesRequest", "PathPrefix", "policyPathType"],
  ["iam", "AttachRolePolicyRequest", "PolicyArn", "arnType"],
  ["iam", "CreatePolicyRequest", "PolicyName", "policyNameType"],
  ["iam", "CreatePolicyRequest", "PolicyDocument", "policyDocumentType"],
  ["iam", "CreatePolicyRequest", "Path", "policyPathType"],
  ["iam", "GetPolicyVersionRequest", "VersionId", "policyVersionIdType"],
];

// The modelled errors the sandbox returns, with the status it gives them (src/sandbox/sts.ts, iam.ts).
const ERRORS: Array<[service: "sts" | "iam", code: string, status: number]> = [
  ["sts", "MalformedPolicyDocument", 400],
  ["sts", "PackedPolicyTooLarge", 400],
  ["iam", "NoSuchEntity", 404],
  ["iam", "EntityAlreadyExists", 409],
  ["iam", "LimitExceeded", 409],
  ["iam", "MalformedPolicyDocument", 400],
];

const constraintOf = (model: ModelShape): Partial<MemberConstraint> => ({
  type: model.type as MemberConstraint["type"],
  ...(model.min !== undefined ? { min: model.min } : {}),
  ...(model.max !== undefined ? { max: model.max } : {}),
  ...(model.pattern !== undefined ? { pattern: model.pattern } : {}),
});

describe("src/sandbox/constraints.ts against botocore's models", () => {
  it.skipIf(!DATA)("copies every SHAPES entry exactly from each model that defines the shape", () => {
    const checked: string[] = [];
    for (const [key, constraint] of Object.entries(SHAPES) as Array<[string, MemberConstraint]>) {
      expect(constraint.shape).toBe(key);
      const found = (["sts", "iam"] as const).filter(
        (service) => models?.[service].shapes[key] !== undefined,
      );
      expect(found, `${key} is in neither model`).not.toEqual([]);
      for (const service of found) {
        const model = constraintOf(shapeOf(service, key));
        const known = KNOWN_DIFFERENCES[`${service}.${key}`] ?? {};
        for (const [field, modelValue] of Object.entries(known)) {
          expect(model[field as keyof typeof model], `${service}.${key}.${field} in the model`).toEqual(
            modelValue,
          );
          // The sandbox's own value for the field (none for sts.arnType) stands, as the note says.
          const own = constraint[field as keyof MemberConstraint];
          if (own === undefined) delete model[field as keyof typeof model];
          else Object.assign(model, { [field]: own });
        }
        const { shape: _shape, ...sandbox } = constraint;
        expect(sandbox, `${service} model, shape ${key}`).toEqual(model);
        checked.push(`${service}.${key}`);
      }
      // The sandbox matches patterns with the u flag, anchored: every pattern must compile so.
      if (constraint.pattern !== undefined)
        expect(() => new RegExp(`^(?:${constraint.pattern})$`, "u")).not.toThrow();
    }
    // arnType, tagKeyType, tagValueType, serialNumberType in both
    expect(checked).toHaveLength(Object.keys(SHAPES).length + 4);
  });

  it.skipIf(!DATA)("uses, for each validated request member, the shape the model gives it", () => {
    for (const [service, structure, member, sandboxShape] of MEMBERS) {
      const members = shapeOf(service, structure).members ?? {};
      expect(members[member]?.shape, `${service} ${structure}.${member}`).toBe(sandboxShape);
    }
    // One known difference: AssumeRole's Policy is now unrestrictedSessionPolicyDocumentType (no
    // maximum) in the model, while STS still documents a 2,048-character plaintext limit; the
    // sandbox enforces it with sessionPolicyDocumentType, which the model keeps for the other calls.
    const assumeRole = shapeOf("sts", "AssumeRoleRequest").members ?? {};
    expect(assumeRole.Policy?.shape).toBe("unrestrictedSessionPolicyDocumentType");
    expect(constraintOf(shapeOf("sts", "unrestrictedSessionPolicyDocumentType"))).toEqual({
      type: "string",
      min: 1,
      pattern: SHAPES.sessionPolicyDocumentType.pattern,
    });
    expect(assumeRole.Policy?.documentation).toContain("can't exceed 2,048 characters");
    expect(shapeOf("sts", "AssumeRoleWithWebIdentityRequest").members?.Policy?.shape).toBe(
      "sessionPolicyDocumentType",
    );
  });

  it.skipIf(!DATA)("limits the lists as the models do", () => {
    expect(shapeOf("sts", "tagListType").max).toBe(MAX_TAGS);
    expect(shapeOf("sts", "tagKeyListType").max).toBe(MAX_TAGS);
    expect(shapeOf("iam", "tagListType").max).toBe(MAX_TAGS);
    expect(shapeOf("sts", "AssumeRoleRequest").members?.Tags?.shape).toBe("tagListType");
    expect(shapeOf("sts", "AssumeRoleRequest").members?.TransitiveTagKeys?.shape).toBe("tagKeyListType");
    // The model leaves PolicyArns unbounded and states the limit in its documentation.
    const policyArns = shapeOf("sts", "AssumeRoleRequest").members?.PolicyArns;
    expect(policyArns?.shape).toBe("policyDescriptorListType");
    expect(shapeOf("sts", "policyDescriptorListType").max).toBeUndefined();
    expect(policyArns?.documentation).toContain(
      `You can provide up to ${MAX_POLICY_ARNS} managed policy ARNs`,
    );
  });

  it.skipIf(!DATA)("gives the modelled errors the codes and statuses of the models", () => {
    for (const [service, code, status] of ERRORS) {
      const shapes = Object.values(models?.[service].shapes ?? {}).filter(
        (shape) => shape.error?.code === code,
      );
      expect(
        shapes.map((shape) => shape.error?.httpStatusCode),
        `${service} ${code}`,
      ).toEqual([status]);
    }
  });
});
