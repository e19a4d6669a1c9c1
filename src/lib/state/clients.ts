/**
 * Builds the Azure Storage SDK clients from the storage settings: a connection string (Azurite, shared key)
 * or service URIs with a managed identity (Azure with shared keys disabled).
 */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { StorageSettings } from './types';

/** Client factories for one storage account. */
export interface StorageClients {
  table(name: string): TableClient;
  container(name: string): ContainerClient;
  queue(name: string): QueueClient;
}

/** Tables over plain HTTP (Azurite) must be allowed explicitly; blobs and queues accept it as is. */
function isInsecure(connectionString: string): boolean {
  return (
    /usedevelopmentstorage\s*=\s*true/i.test(connectionString) ||
    /(^|;)\s*defaultendpointsprotocol\s*=\s*http\s*(;|$)/i.test(connectionString) ||
    /(^|;)\s*tableendpoint\s*=\s*http:/i.test(connectionString)
  );
}

/** Creates the clients; `credential` overrides the identity used with service URIs. */
export function createStorageClients(storage: StorageSettings, credential?: TokenCredential): StorageClients {
  if (storage.kind === 'connectionString') {
    const cs = storage.connectionString.trim();
    const allowInsecureConnection = isInsecure(cs);
    const blobs = BlobServiceClient.fromConnectionString(cs);
    const queues = QueueServiceClient.fromConnectionString(cs);
    return {
      table: (name) => TableClient.fromConnectionString(cs, name, { allowInsecureConnection }),
      container: (name) => blobs.getContainerClient(name),
      queue: (name) => queues.getQueueClient(name),
    };
  }
  const identity =
    credential ??
    (storage.clientId !== undefined
      ? new ManagedIdentityCredential({ clientId: storage.clientId })
      : new DefaultAzureCredential());
  const blobs = new BlobServiceClient(storage.blobServiceUri, identity);
  const queues = new QueueServiceClient(storage.queueServiceUri, identity);
  return {
    table: (name) => new TableClient(storage.tableServiceUri, name, identity),
    container: (name) => blobs.getContainerClient(name),
    queue: (name) => queues.getQueueClient(name),
  };
}
