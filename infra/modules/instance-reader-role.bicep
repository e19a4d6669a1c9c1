// A custom role with only what listing Flexible scale-set members needs beyond Reader on the scale set: VM
// reads (their power state and NIC references) and NIC reads (their private IPs). Defined once per
// subscription, assigned on the scale sets' resource groups by delivery.bicep.
targetScope = 'subscription'

var roleName = 'FortiFlex scaler instance reader'

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Reads VMs and network interfaces to find FortiGate scale-set instances and their private IPs.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Compute/virtualMachines/read'
          'Microsoft.Compute/virtualMachines/instanceView/read'
          'Microsoft.Network/networkInterfaces/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

output roleId string = role.id
