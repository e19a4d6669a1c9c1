// Optional VNet integration of the Flex Consumption app, so it reaches the FortiGates' private IPs: a subnet
// of an existing virtual network, delegated to Microsoft.App/environments (what Flex Consumption requires;
// the Microsoft.App resource provider must be registered). The subnet may serve nothing else; plan for up to
// 40 addresses per app. Traffic to the FortiGates then leaves from addresses of this subnet: allow the whole
// prefix as the API admin's trusted host (docs/bootstrap.md).
@description('Name of the existing virtual network in this resource group.')
param vnetName string

@description('Subnet name (no underscores).')
param subnetName string

@description('Subnet prefix, e.g. 10.0.250.0/26.')
param addressPrefix string

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource subnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' = {
  parent: vnet
  name: subnetName
  properties: {
    addressPrefix: addressPrefix
    delegations: [
      {
        name: 'flex-consumption'
        properties: {
          serviceName: 'Microsoft.App/environments'
        }
      }
    ]
  }
}

output subnetId string = subnet.id
output addressPrefix string = addressPrefix
