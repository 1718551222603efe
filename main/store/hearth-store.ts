// Opens everything Hearth keeps in its data directory: the document, the code blobs and the secret key.
import { BlobStore } from "./blob-store.ts";
import { DocumentStore, type DocumentStoreOptions } from "./document-store.ts";
import { openDataDir } from "./private-data-dir.ts";
import { SecretBox } from "./secret-box.ts";
import { TokenUsage } from "./token-usage.ts";

export interface HearthStore {
  dataDir: string;
  documents: DocumentStore;
  blobs: BlobStore;
  secrets: SecretBox;
  /** Tokens' last use, calls and addresses, counted in memory and saved beside the document. */
  tokenUsage: TokenUsage;
  close(): Promise<void>;
}

/** `dataDir` is usually main/paths.ts's dataDir(); tests pass a temporary folder. */
export async function openHearthStore(
  dataDir: string,
  options: DocumentStoreOptions = {},
): Promise<HearthStore> {
  await openDataDir(dataDir);
  const documents = await DocumentStore.open(dataDir, options);
  try {
    const s = documents.state;
    const holdsSealed = s.profiles.length > 0 || s.aliases.some((a) => a.customization?.sealedSecrets);
    const secrets = await SecretBox.open(dataDir, { mustExist: holdsSealed });
    const tokenUsage = await TokenUsage.open(dataDir);
    tokenUsage.retain((id) => s.tokens.some((t) => t.id === id));
    return {
      dataDir,
      documents,
      blobs: BlobStore.inDataDir(dataDir),
      secrets,
      tokenUsage,
      close: async () => {
        await tokenUsage.close();
        await documents.close();
      },
    };
  } catch (err) {
    await documents.close();
    throw err;
  }
}
