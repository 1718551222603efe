// The tokens operations: a profile's tokens with their usage, minting one for an alias, revoking one.
import type { TokenView } from "../contract.ts";
import { mintAliasToken, revokeToken as revokeTokenCommand } from "../domain/access/tokens.ts";
import { listTokenViews } from "../domain/model/views.ts";
import { actingAs, commandContext, type OperationContext, type OperationInput } from "./operation-context.ts";

export async function listTokens(c: OperationContext): Promise<TokenView[]> {
  const { store } = c.host;
  return listTokenViews(store.documents.state, actingAs(c), (id) => store.tokenUsage.usageOf(id));
}

export async function mintToken(
  c: OperationContext,
  input: OperationInput<"mintToken">,
): Promise<{ token: TokenView; secret: string }> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) => mintAliasToken(s, pid, input as never, commandContext(c.host)));
}

export async function revokeToken(
  c: OperationContext,
  input: OperationInput<"revokeToken">,
): Promise<TokenView> {
  const pid = actingAs(c);
  return c.host.store.documents.update((s) =>
    revokeTokenCommand(s, pid, { tokenId: input.tokenId }, commandContext(c.host)),
  );
}
