// Module hooks that resolve "electron" to the stand-in of electron-mock.ts (the real package would try to download
// its binary); registered by the tests of main/app with module.register.
let mock = "";

export function initialize(data) {
  mock = data.mock;
}

export async function resolve(specifier, context, next) {
  // Resolved by the rest of the chain (tsx), which then knows to load it as TypeScript.
  if (specifier === "electron") return next(mock, context);
  return next(specifier, context);
}
