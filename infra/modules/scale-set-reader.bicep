// Reader on one VM scale set (deployed into the scale set's own resource group, once per pool's scale set),
// so the app can read its capacity and instances. Nothing else in that resource group becomes visible to it.
@description('Name of the scale set in this resource group.')
param scaleSetName string

@description('Principal (object) ID of the app\'s user-assigned identity.')
param principalId string

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource scaleSet 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' existing = {
  name: scaleSetName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scaleSet.id, principalId, readerRoleId)
  scope: scaleSet
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output scaleSetId string = scaleSet.id
