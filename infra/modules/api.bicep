// The Function App on the Flex Consumption plan (Linux, Node 22), running as the user-assigned identity.
// Flex rejects or ignores FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// WEBSITE_TIME_ZONE and TZ: runtime and package come from functionAppConfig, and schedules are UTC. It also
// must not set siteConfig.alwaysOn or siteConfig.ftpsState.
param name string
param location string
param tags object
param planId string
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

param identityId string
param identityClientId string
param appInsightsConnectionString string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Subnet for VNet integration (delegated to Microsoft.App/environments), so the app reaches FortiGate private IPs; empty = none.')
param virtualNetworkSubnetId string = ''

@description('App settings of the scaler itself (DESIGN §7); merged with the host and telemetry settings below.')
param appSettings object

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Identity-based AzureWebJobsStorage (no keys): the host, the queue trigger and the state store use these.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
  // DefaultAzureCredential / ManagedIdentityCredential pick the user-assigned identity from this.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'site'
  params: {
    name: name
    location: location
    kind: 'functionapp,linux'
    tags: union(tags, {
      'azd-service-name': 'api'
    })
    serverFarmResourceId: planId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [
        identityId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    // Only minTlsVersion in siteConfig: Flex Consumption must not set alwaysOn or ftpsState (ARM rejects
    // FtpsState for Flex sites), and this object replaces the module's defaults (alwaysOn: true, ftpsState).
    virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null
    siteConfig: {
      minTlsVersion: '1.2'
    }
    // Deployments authenticate with Entra ID (azd and Core Tools publish with a bearer token), so SCM basic
    // auth stays off. Flex has no FTP endpoint, so there is no FTP policy to set.
    basicPublishingCredentialsPolicies: [
      {
        name: 'scm'
        allow: false
      }
    ]
    // Merged into the app's current settings by the module (existing keys that are not listed here stay).
    appSettingsKeyValuePairs: union(appSettings, hostSettings)
  }
}

output name string = site.outputs.name
output url string = 'https://${site.outputs.defaultHostname}'
output resourceId string = site.outputs.resourceId
