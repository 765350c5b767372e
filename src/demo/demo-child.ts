// The command the demo runs under `taskaccess run`: it uses whatever credentials it was given in
// its environment, as any tool would, and reports what it was allowed to do.
import { errorSummary, signedRequest } from "./signed-request.js";

const endpoint = process.env.AWS_ENDPOINT_URL ?? "";
const region = process.env.AWS_REGION ?? "eu-west-1";
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
  sessionToken: process.env.AWS_SESSION_TOKEN,
};
const version = process.argv[2] ?? "1.4.2";

const who = await signedRequest({
  endpoint,
  service: "sts",
  region,
  credentials,
  method: "POST",
  path: "/",
  body: "Action=GetCallerIdentity&Version=2011-06-15",
});
console.log(`  [child] I am ${/<Arn>([^<]*)<\/Arn>/.exec(who.body)?.[1] ?? "?"}`);

const allowed = await signedRequest({
  endpoint,
  service: "s3",
  region,
  credentials,
  method: "PUT",
  path: `/releases/app/${version}/app.tar.gz`,
  body: `release ${version}`,
});
console.log(
  `  [child] PUT s3://releases/app/${version}/app.tar.gz -> ${allowed.status === 200 ? "200 OK" : `${allowed.status} ${errorSummary(allowed.body)}`}`,
);

const refused = await signedRequest({
  endpoint,
  service: "s3",
  region,
  credentials,
  method: "PUT",
  path: "/releases/app/9.9.9/app.tar.gz",
  body: "not this one",
});
console.log(
  `  [child] PUT s3://releases/app/9.9.9/app.tar.gz -> ${refused.status} ${refused.status === 200 ? "OK (unexpected!)" : errorSummary(refused.body)}`,
);
process.exitCode = allowed.status === 200 && refused.status === 403 ? 0 : 1;
