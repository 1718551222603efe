// Lint configuration: TypeScript rules plus the layering rules that keep imports pointing downwards.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const noElectron = { group: ["electron", "electron/*"], message: "Only main/app/ may import electron." };

/**
 * Each layer lists what it may never import; a wrong arrow becomes a lint error. A file takes the rule of the
 * last entry that matches it, so every main/ layer repeats the electron ban.
 */
const layering = [
  {
    files: ["main/**/*.ts"],
    ignores: ["main/app/**"],
    forbid: [noElectron],
  },
  {
    files: ["main/domain/**/*.ts"],
    forbid: [
      noElectron,
      {
        group: ["**/vm/**", "**/store/**", "**/invoke/**", "**/http/**", "**/app/**"],
        message: "main/domain is pure rules: no I/O layers.",
      },
      {
        group: ["node:fs", "node:fs/*", "node:net", "node:child_process"],
        message: "main/domain does no I/O.",
      },
    ],
  },
  {
    files: ["main/vm/**/*.ts"],
    forbid: [
      noElectron,
      {
        group: ["**/domain/**", "**/store/**", "**/invoke/**", "**/http/**", "**/app/**"],
        message: "main/vm knows nothing above it.",
      },
    ],
  },
  {
    files: ["vm-images/agent/**/*.ts"],
    forbid: [
      {
        regex: "(^|/)main/(?!vm/protocol\\.ts$|domain/tasks/interpreter-variables\\.ts$)",
        message:
          "The guest agent shares only main/vm/protocol.ts and main/domain/tasks/interpreter-variables.ts with the host.",
      },
    ],
  },
  {
    files: ["renderer/**/*.{ts,tsx}"],
    forbid: [
      {
        regex: "(^|/)main/(?!contract\\.ts$|client/http-client\\.ts$)",
        message:
          "The renderer reaches the host only through main/contract.ts (and its HTTP client in browser mode).",
      },
    ],
  },
];

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
  ...layering.map(({ files, ignores, forbid }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { "no-restricted-imports": ["error", { patterns: forbid }] },
  })),
);
