// Variables that steer how a runtime starts or what it loads: never a caller's to set. Shared with the guest agent.

/**
 * Variables the runtimes, the dynamic loader, the C library or the shells they start read as instructions
 * (`NODE_OPTIONS=--import=…`, `LD_PRELOAD`, `PYTHONSTARTUP`, `BROWSER` with `PYTHONWARNINGS`…). A caller other
 * than the task's owner never sets one of these, whatever the owner allowed: they would run the caller's code
 * inside the owner's sandbox. The guest agent strips the same names again before a runtime sees them.
 */
const INTERPRETER_PREFIXES = [
  "NODE_",
  "PYTHON",
  "LD_",
  "DYLD_",
  "LC_",
  "MALLOC_",
  "GLIBC_",
  "GCONV_",
  "OPENSSL_",
  "SSL_CERT_",
  "UV_",
  "V8_",
  "PERL",
  "RUBY",
  "GIT_",
  "BASH_FUNC_",
  "_",
];
const INTERPRETER_NAMES = new Set([
  "BROWSER",
  "PATH",
  "HOME",
  "TMPDIR",
  "TMP",
  "TEMP",
  "TZ",
  "TZDIR",
  "LANG",
  "LANGUAGE",
  "NLSPATH",
  "LOCPATH",
  "HOSTALIASES",
  "LOCALDOMAIN",
  "RES_OPTIONS",
  "TERMINFO",
  "TERMINFO_DIRS",
  "BASH_ENV",
  "ENV",
  "SHELL",
  "SHELLOPTS",
  "PS4",
  "IFS",
  "CDPATH",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
  "CURL_CA_BUNDLE",
  "REQUESTS_CA_BUNDLE",
]);

/** Whether a variable steers how a runtime starts or what it loads (see INTERPRETER_PREFIXES). Case-blind. */
export function isInterpreterVariable(key: string): boolean {
  const k = key.toUpperCase();
  return INTERPRETER_NAMES.has(k) || INTERPRETER_PREFIXES.some((p) => k.startsWith(p));
}
