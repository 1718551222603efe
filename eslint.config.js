// Lint configuration: TypeScript rules plus the layering rule, which allows only the arrows of layers.json.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import hearth from "./lint/layering-rule.mjs";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "vm-images/out/",
      "vm-images/cache/",
      "test-results/",
      "bench-results/",
      "main/app/out/",
      "dist/",
      "renderer/out/",
      "playwright-report/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        AbortController: "readonly",
        queueMicrotask: "readonly",
        setImmediate: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The window runs in a browser (or Electron's sandboxed renderer), not in Node.
    files: ["renderer/**/*.{ts,tsx}"],
    ignores: ["renderer/build.ts"],
    languageOptions: {
      globals: {
        window: "readonly",
        document: "readonly",
        navigator: "readonly",
        location: "readonly",
        history: "readonly",
        localStorage: "readonly",
        sessionStorage: "readonly",
        fetch: "readonly",
        FileReader: "readonly",
        HTMLElement: "readonly",
        KeyboardEvent: "readonly",
        URLSearchParams: "readonly",
        TextDecoder: "readonly",
        performance: "readonly",
        requestAnimationFrame: "readonly",
        btoa: "readonly",
        atob: "readonly",
        process: "off",
        Buffer: "off",
        setImmediate: "off",
      },
    },
  },
  {
    // Every file of a part in layers.json imports only what its part may; the rest of the repo is not a part.
    files: ["main/**/*.ts", "renderer/**/*.{ts,tsx}", "vm-images/**/*.ts"],
    plugins: { hearth },
    rules: { "hearth/layering": "error" },
  },
);
