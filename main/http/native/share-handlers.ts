// Sharing an alias in one call: mints a token with the owner's expiry and rate limit, and answers the share link that
// pins the shared listener's certificate, with ready curl and aws lines. The token is in this answer only.
import { z } from "zod";
import type { ApiShareAnswer, OperationName, ShareAnswer } from "../../contract.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { parseInput } from "../../domain/model/input-validation.ts";
import {
  awsCommand,
  curlPin,
  sharedApiCurlCommand,
  sharedCurlCommand,
} from "../../domain/sharing/share-instructions.ts";
import { formatShareLink } from "../../domain/sharing/share-link.ts";
import { mintAliasToken, mintApiToken } from "../../domain/access/tokens.ts";
import { aliasView, apiView } from "../../domain/model/views.ts";
import type { Host } from "../../host.ts";
import { systemRandom } from "../../store/system-random.ts";
import type { Handler } from "./native-handlers.ts";

type ShareOperation = Extract<OperationName, "shareAlias" | "shareApi">;

/** What the share itself reads; the token's own terms (label, expiresInS, rateLimitPerMinute) go to the mint. */
const shareFields = z.looseObject({
  aliasId: z.string({ error: "must be the id of one of your aliases" }).min(1, "must not be empty"),
  name: z.string({ error: "must be a string" }).optional(),
});

const shareApiFields = z.looseObject({
  apiId: z.string({ error: "must be the id of one of your APIs" }).min(1, "must not be empty"),
});

const SHARING_OFF =
  "this Hearth is not sharing, so nothing beyond this machine could reach a link: start it with " +
  "`hearth serve --share <address>[:port]` on an address your teammate can reach";

/** An unminted token of the right shape: checks a link's other parts before anything is minted. */
const PLACEHOLDER_TOKEN = `hth_${"A".repeat(43)}`;

export function shareHandlers(app: Pick<Host, "store" | "sharing">): Record<ShareOperation, Handler> {
  const docs = app.store.documents;
  const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: app.store.secrets });
  return {
    shareAlias: async ({ profileId, input }): Promise<ShareAnswer> => {
      if (profileId === null) throw new Error("INTERNAL_ERROR: an operation ran without a profile");
      const pid = profileId;
      const { name: asked, ...terms } = parseInput(shareFields, input);
      const sharing = app.sharing.current();
      if (!sharing) {
        throw new HearthError("SHARING_OFF", SHARING_OFF);
      }
      const alias = aliasView(docs.state, pid, terms.aliasId);
      const name = asked ?? alias.task.name;
      // Checked before minting, so a name a link cannot carry leaves no token behind.
      formatShareLink({
        endpoint: sharing.url,
        token: PLACEHOLDER_TOKEN,
        fingerprint: sharing.fingerprint,
        name,
      });
      const minted = await docs.update((s) =>
        mintAliasToken(
          s,
          pid,
          // A share link is for another machine: its token works there, whatever the request said.
          { label: `shared as ${name}`, ...terms, remote: true } as Parameters<typeof mintAliasToken>[2],
          ctx(),
        ),
      );
      return {
        token: minted.token,
        secret: minted.secret,
        name,
        endpoint: sharing.url,
        fingerprint: sharing.fingerprint,
        link: formatShareLink({
          endpoint: sharing.url,
          token: minted.secret,
          fingerprint: sharing.fingerprint,
          name,
        }),
        curl: sharedCurlCommand(sharing.url, minted.secret, curlPin(sharing.certPem)),
        aws: awsCommand(name),
      };
    },
    shareApi: async ({ profileId, input }): Promise<ApiShareAnswer> => {
      if (profileId === null) throw new Error("INTERNAL_ERROR: an operation ran without a profile");
      const pid = profileId;
      const terms = parseInput(shareApiFields, input);
      const sharing = app.sharing.current();
      if (!sharing) throw new HearthError("SHARING_OFF", SHARING_OFF);
      const api = apiView(docs.state, pid, terms.apiId);
      if (api.access !== "token") {
        throw new HearthError(
          "INVALID_INPUT",
          `API "${api.name}" is public: the shared listener serves token APIs only; make it a token API to share it`,
          "apiId",
        );
      }
      const url = `${sharing.url}${api.path}`;
      const linkOf = (token: string): string =>
        formatShareLink({
          endpoint: url,
          token,
          fingerprint: sharing.fingerprint,
          name: api.name,
          kind: "api",
        });
      // Checked before minting, so a link that cannot be written leaves no token behind.
      linkOf(PLACEHOLDER_TOKEN);
      const minted = await docs.update((s) =>
        mintApiToken(
          s,
          pid,
          { label: `shared API ${api.name}`, ...terms, remote: true } as Parameters<typeof mintApiToken>[2],
          ctx(),
        ),
      );
      return {
        token: minted.token,
        secret: minted.secret,
        endpoint: sharing.url,
        fingerprint: sharing.fingerprint,
        url,
        link: linkOf(minted.secret),
        curl: sharedApiCurlCommand(url, minted.secret, curlPin(sharing.certPem)),
      };
    },
  };
}
