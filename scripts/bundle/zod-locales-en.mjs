// Stands in for zod/v4/locales/index.js in dist/bundle/: taskaccess's messages are English, and the
// other 60-odd locales were a third of the start-up bundle (scripts/bundle/bundle.mjs).
export { default as en } from "zod/v4/locales/en.js";
