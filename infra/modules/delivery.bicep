// Licence delivery, in the resource group of the pools' scale sets (one deployment per resource group):
// - the instance-reader role on the group: Flexible scale-set members are VMs of the group and their NICs
//   are the group's, so listing their private IPs needs read on both (Reader on the scale set itself comes
//   from scale-set-reader.bicep);
// - optionally the Event Grid system topic of the group and its subscription to the `scaleSetEvents`
//   function. The subscription needs the function to exist: deploy it after the first code deployment.
@description('Principal (object) ID of the app\'s user-assigned identity.')
param principalId string

@description('Resource ID of the custom instance-reader role (instance-reader-role.bicep).')
param instanceReaderRoleId string

@description('Resource ID of the Function App; empty = no Event Grid subscription.')
param functionAppId string = ''

@description('Create the system topic and the subscription to scaleSetEvents (after the code is deployed).')
param subscribeEvents bool = false

resource instanceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, instanceReaderRoleId)
  properties: {
    roleDefinitionId: instanceReaderRoleId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// One system topic per source: a resource group has at most one of type ResourceGroups.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (subscribeEvents && !empty(functionAppId)) {
  name: 'evgt-${uniqueString(resourceGroup().id)}-fortiflex'
  location: 'global'
  properties: {
    source: resourceGroup().id
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

// Writes and deletes of scale sets, their instances, VMs and NICs of the group become sync hints.
resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribeEvents && !empty(functionAppId)) {
  parent: topic
  name: 'fortiflex-scaler-scale-set-events'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/scaleSetEvents'
        maxEventsPerBatch: 1
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
        'Microsoft.Resources.ResourceActionSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringBeginsWith'
          key: 'data.operationName'
          values: [
            'Microsoft.Compute/virtualMachineScaleSets'
            'Microsoft.Compute/virtualMachines'
            'Microsoft.Network/networkInterfaces'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 10
      eventTimeToLiveInMinutes: 60
    }
  }
}

output systemTopicName string = subscribeEvents && !empty(functionAppId) ? topic.name : ''
