import { MalformedPolicyError, parsePolicyDocument } from "../iam/index.js";
import { requireAllowed } from "./authorize.js";
import { checkParams, MAX_TAGS, type ParamSpec, SHAPES } from "./constraints.js";
import type { DeniedMessageStyle } from "./denied-message.js";
import { SandboxError } from "./errors.js";
import type { HandlerContext } from "./handler-context.js";
import { type QueryParams, queryResponse, readMemberStructs } from "./query-protocol.js";
import type { SandboxResponse } from "./request.js";
import type { ManagedPolicy, RoleEntity } from "./state.js";
import type { XmlNode } from "./xml.js";

export const IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";
/** "Role policy size cannot exceed 10,240 characters" (IAM User Guide, "IAM and AWS STS quotas"). */
export const ROLE_INLINE_POLICY_AGGREGATE_LIMIT = 10_240;
/** ListRolePolicies and ListAttachedRolePolicies default to 100 items (IAM API Reference, MaxItems). */
const DEFAULT_MAX_ITEMS = 100;

const ROLE_NAME: ParamSpec = { name: "RoleName", constraint: SHAPES.roleNameType, required: true };
const POLICY_NAME: ParamSpec = { name: "PolicyName", constraint: SHAPES.policyNameType, required: true };
const POLICY_ARN: ParamSpec = { name: "PolicyArn", constraint: SHAPES.arnType, required: true };
const PAGING: ParamSpec[] = [
  { name: "Marker", constraint: SHAPES.markerType },
  { name: "MaxItems", constraint: SHAPES.maxItemsType },
];

type Handler = (ctx: HandlerContext, params: QueryParams) => XmlNode | undefined;

const HANDLERS: Record<string, Handler> = {
  GetRole: (ctx, params) => {
    checkParams(params, [ROLE_NAME]);
    const role = roleFor(ctx, params, "iam:GetRole");
    return { Role: roleXml(role) };
  },
  CreateRole: (ctx, params) => {
    checkParams(params, [
      ROLE_NAME,
      { name: "AssumeRolePolicyDocument", constraint: SHAPES.policyDocumentType, required: true },
      { name: "Path", constraint: SHAPES.pathType },
      { name: "MaxSessionDuration", constraint: SHAPES.roleMaxSessionDurationType },
      { name: "PermissionsBoundary", constraint: SHAPES.arnType },
    ]);
    const name = params.RoleName ?? "";
    const path = params.Path ?? "/";
    const account = ctx.caller.account;
    authorize(ctx, "iam:CreateRole", `arn:aws:iam::${account}:role${path}${name}`);
    if (ctx.state.findRole(account, name)) {
      throw new SandboxError("EntityAlreadyExists", 409, `Role with name ${name} already exists.`);
    }
    const trust = params.AssumeRolePolicyDocument ?? "";
    checkPolicy(trust, "trust");
    const tags = readMemberStructs(params, "Tags", ["Key", "Value"]);
    if (tags.length > MAX_TAGS)
      throw new SandboxError("LimitExceeded", 409, "Cannot have more than 50 tags.");
    const boundary = params.PermissionsBoundary;
    if (boundary !== undefined && !ctx.state.policies.has(boundary)) {
      throw new SandboxError("NoSuchEntity", 404, `Policy ${boundary} does not exist or is not attachable.`);
    }
    const role = ctx.state.createRole({
      account,
      name,
      path,
      trust,
      maxSessionDuration: params.MaxSessionDuration ? Number(params.MaxSessionDuration) : 3600,
      tags: Object.fromEntries(tags.map((tag) => [tag.Key ?? "", tag.Value ?? ""])),
      boundary,
      now: ctx.clock.now(),
    });
    return { Role: roleXml(role) };
  },
  PutRolePolicy: (ctx, params) => {
    checkParams(params, [
      ROLE_NAME,
      POLICY_NAME,
      { name: "PolicyDocument", constraint: SHAPES.policyDocumentType, required: true },
    ]);
    const role = roleFor(ctx, params, "iam:PutRolePolicy");
    const name = params.PolicyName ?? "";
    const document = params.PolicyDocument ?? "";
    checkPolicy(document, "identity");
    // IAM does not count white space towards the aggregate limit (IAM User Guide, quotas).
    const others = [...role.inline].filter(([other]) => other !== name).map(([, json]) => json);
    const total = [...others, document].reduce((sum, json) => sum + countPolicySize(json), 0);
    if (total > ROLE_INLINE_POLICY_AGGREGATE_LIMIT) {
      throw new SandboxError(
        "LimitExceeded",
        409,
        `Maximum policy size of ${ROLE_INLINE_POLICY_AGGREGATE_LIMIT} bytes exceeded for role ${role.name}`,
      );
    }
    // Reads see it at once; sessions and users are authorized with it after the propagation delay.
    ctx.state.changePolicies(role, ctx.clock.now(), (view) => view.inline.set(name, document));
    return undefined;
  },
  GetRolePolicy: (ctx, params) => {
    checkParams(params, [ROLE_NAME, POLICY_NAME]);
    const role = roleFor(ctx, params, "iam:GetRolePolicy");
    const name = params.PolicyName ?? "";
    const document = role.inline.get(name);
    if (document === undefined) {
      throw new SandboxError("NoSuchEntity", 404, `The role policy with name ${name} cannot be found.`);
    }
    // IAM returns policy documents URL-encoded (RFC 3986), as the IAM API Reference says.
    return { RoleName: role.name, PolicyName: name, PolicyDocument: encodeURIComponent(document) };
  },
  DeleteRolePolicy: (ctx, params) => {
    checkParams(params, [ROLE_NAME, POLICY_NAME]);
    const role = roleFor(ctx, params, "iam:DeleteRolePolicy");
    const name = params.PolicyName ?? "";
    if (!role.inline.has(name)) {
      throw new SandboxError("NoSuchEntity", 404, `The role policy with name ${name} cannot be found.`);
    }
    ctx.state.changePolicies(role, ctx.clock.now(), (view) => view.inline.delete(name));
    return undefined;
  },
  ListRolePolicies: (ctx, params) => {
    checkParams(params, [ROLE_NAME, ...PAGING]);
    const role = roleFor(ctx, params, "iam:ListRolePolicies");
    const page = paginate([...role.inline.keys()].sort(), params);
    return { PolicyNames: { member: page.items }, IsTruncated: page.truncated, Marker: page.marker };
  },
  AttachRolePolicy: (ctx, params) => {
    checkParams(params, [ROLE_NAME, POLICY_ARN]);
    const role = roleFor(ctx, params, "iam:AttachRolePolicy");
    const policy = policyFor(ctx, params.PolicyArn ?? "");
    ctx.state.attach(role, policy.arn, ctx.clock.now());
    return undefined;
  },
  ListAttachedRolePolicies: (ctx, params) => {
    checkParams(params, [ROLE_NAME, { name: "PathPrefix", constraint: SHAPES.policyPathType }, ...PAGING]);
    const role = roleFor(ctx, params, "iam:ListAttachedRolePolicies");
    const attached = role.managed
      .map((arn) => ctx.state.policies.get(arn))
      .filter((policy): policy is ManagedPolicy => policy !== undefined)
      .filter((policy) => policy.path.startsWith(params.PathPrefix ?? "/"));
    const page = paginate(attached, params);
    return {
      AttachedPolicies: {
        member: page.items.map((policy) => ({ PolicyName: policy.name, PolicyArn: policy.arn })),
      },
      IsTruncated: page.truncated,
      Marker: page.marker,
    };
  },
  CreatePolicy: (ctx, params) => {
    checkParams(params, [
      POLICY_NAME,
      { name: "PolicyDocument", constraint: SHAPES.policyDocumentType, required: true },
      { name: "Path", constraint: SHAPES.policyPathType },
    ]);
    const name = params.PolicyName ?? "";
    const path = params.Path ?? "/";
    const account = ctx.caller.account;
    const arn = `arn:aws:iam::${account}:policy${path}${name}`;
    authorize(ctx, "iam:CreatePolicy", arn);
    if (ctx.state.policies.has(arn)) {
      throw new SandboxError(
        "EntityAlreadyExists",
        409,
        `A policy called ${name} already exists. Duplicate names are not allowed.`,
      );
    }
    const document = params.PolicyDocument ?? "";
    checkPolicy(document, "identity");
    const policy = ctx.state.addManagedPolicy(account, name, path, document, ctx.clock.now());
    return { Policy: policyXml(policy) };
  },
  GetPolicy: (ctx, params) => {
    checkParams(params, [POLICY_ARN]);
    const policy = policyFor(ctx, params.PolicyArn ?? "", "iam:GetPolicy");
    return { Policy: policyXml(policy) };
  },
  GetPolicyVersion: (ctx, params) => {
    checkParams(params, [
      POLICY_ARN,
      { name: "VersionId", constraint: SHAPES.policyVersionIdType, required: true },
    ]);
    const policy = policyFor(ctx, params.PolicyArn ?? "", "iam:GetPolicyVersion");
    if (params.VersionId !== policy.versionId) {
      throw new SandboxError(
        "NoSuchEntity",
        404,
        `Policy ${policy.arn} version ${params.VersionId} does not exist or is not attachable.`,
      );
    }
    return {
      PolicyVersion: {
        Document: encodeURIComponent(policy.document),
        VersionId: policy.versionId,
        IsDefaultVersion: true,
        CreateDate: iso(policy.createDate),
      },
    };
  },
};

// Dispatches one IAM Query action.
export function handleIam(ctx: HandlerContext, action: string, params: QueryParams): SandboxResponse {
  const handler = HANDLERS[action];
  if (!handler) {
    throw new SandboxError("InvalidAction", 400, `Could not find operation ${action} for version 2010-05-08`);
  }
  return queryResponse(IAM_NAMESPACE, action, handler(ctx, params), ctx.request.requestId);
}

// IAM's AccessDenied messages are AWS's exactly (see denied-message.ts): taskaccess reads them to
// confirm a revocation ("with an explicit deny in an identity-based policy").
const IAM_MESSAGES: DeniedMessageStyle = { policyArns: true };

// Authorizes an IAM action; a denial names the resource as IAM does when `label` is given.
function authorize(ctx: HandlerContext, action: string, resource: string, label?: string): void {
  const style = label === undefined ? IAM_MESSAGES : { ...IAM_MESSAGES, resourceLabel: label };
  requireAllowed(ctx, action, resource, {}, style);
}

// Authorizes against the role's ARN as the caller would name it, then requires that it exist. A
// denial names the role as IAM does for an action on a role: "role NAME", not its ARN.
function roleFor(ctx: HandlerContext, params: QueryParams, action: string): RoleEntity {
  const name = params.RoleName ?? "";
  const role = ctx.state.findRole(ctx.caller.account, name);
  authorize(ctx, action, role?.arn ?? `arn:aws:iam::${ctx.caller.account}:role/${name}`, `role ${name}`);
  if (!role) throw new SandboxError("NoSuchEntity", 404, `The role with name ${name} cannot be found.`);
  return role;
}

function policyFor(ctx: HandlerContext, arn: string, action?: string): ManagedPolicy {
  if (action) authorize(ctx, action, arn);
  const policy = ctx.state.policies.get(arn);
  if (!policy)
    throw new SandboxError("NoSuchEntity", 404, `Policy ${arn} does not exist or is not attachable.`);
  return policy;
}

function checkPolicy(json: string, kind: "identity" | "trust"): void {
  try {
    parsePolicyDocument(json, { kind });
  } catch (error) {
    if (error instanceof MalformedPolicyError)
      throw new SandboxError("MalformedPolicyDocument", 400, error.message);
    throw error;
  }
}

// Policy size as IAM counts it: the document without white space outside strings.
export function countPolicySize(json: string): number {
  try {
    return JSON.stringify(JSON.parse(json)).length;
  } catch {
    return json.length;
  }
}

function paginate<T>(items: T[], params: QueryParams): { items: T[]; truncated: boolean; marker?: string } {
  const start = params.Marker
    ? Number.parseInt(Buffer.from(params.Marker, "base64url").toString("utf8"), 10) || 0
    : 0;
  const size = params.MaxItems ? Number(params.MaxItems) : DEFAULT_MAX_ITEMS;
  const page = items.slice(start, start + size);
  const next = start + size;
  if (next < items.length) {
    return { items: page, truncated: true, marker: Buffer.from(String(next), "utf8").toString("base64url") };
  }
  return { items: page, truncated: false };
}

function roleXml(role: RoleEntity): XmlNode {
  const tags = Object.entries(role.tags);
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: iso(role.createDate),
    AssumeRolePolicyDocument: encodeURIComponent(role.trust),
    MaxSessionDuration: role.maxSessionDuration,
    ...(role.boundary
      ? { PermissionsBoundary: { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: role.boundary } }
      : {}),
    ...(tags.length > 0 ? { Tags: { member: tags.map(([Key, Value]) => ({ Key, Value })) } } : {}),
  };
}

function policyXml(policy: ManagedPolicy): XmlNode {
  return {
    PolicyName: policy.name,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: policy.versionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: policy.boundaryUsageCount,
    IsAttachable: true,
    CreateDate: iso(policy.createDate),
    UpdateDate: iso(policy.createDate),
  };
}

function iso(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}
