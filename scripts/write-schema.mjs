// Regenerates schema/taskaccess.schema.json from the built zod schema (npm run schema).
import { writeFileSync } from "node:fs";
import { taskFileJsonSchema } from "../dist/task/json-schema.js";

writeFileSync(
  new URL("../schema/taskaccess.schema.json", import.meta.url),
  `${JSON.stringify(taskFileJsonSchema(), null, 2)}\n`,
);
