import * as z from "zod/mini";

// zod/mini loads no locale, so an issue without a message of ours says only "Invalid input". The
// sandbox shows zod's own wording (world files, admin bodies), so it loads English when it first
// needs it, not at import. Global to zod: the task-file reader copes with either (readableMessage).
export function useEnglishZodMessages(): void {
  z.config(z.locales.en());
}
