// Where a profile's remote APIs (a teammate's shared API, imported from a share link) answer on the local port:
// a value the contract publishes and the rules that name it in their errors share.
export const REMOTE_API_PATH = "/v1/remote-apis";
