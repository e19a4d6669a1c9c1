// Optional seeding of the FortiOS REST API key (the pools' fortigate.apiKeySecret) in Key Vault at
// deployment time. Written only when a value is given; prefer `az keyvault secret set` (docs/bootstrap.md).
@description('Key Vault name (same resource group).')
param vaultName string

@description('Secret name; the pools name it in fortigate.apiKeySecret.')
param secretName string

@secure()
param apiKey string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(apiKey)) {
  parent: vault
  name: secretName
  properties: {
    value: apiKey
    contentType: 'text/plain'
  }
}
