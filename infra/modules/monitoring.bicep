// Telling someone: an action group, four log alert rules over the app's structured telemetry (see
// src/lib/telemetry.ts and infra/monitoring/alerts/*.kql) and a workbook (infra/monitoring/workbook.json).
// test/infra checks that every event and field these queries read is one the code writes.
param location string
param tags object

@description('Resource ID of the Application Insights component the app writes to (the scope of every query).')
param appInsightsId string

@description('Base name for the action group, the alert rules and the workbook.')
param baseName string

@description('E-mail addresses that receive alert notifications.')
param emailAddresses array = []

@secure()
@description('Optional webhook (Teams Workflows, a ticketing system) that receives alerts in the common alert schema; empty = none.')
param webhookUrl string = ''

@description('Evaluate the alert rules (false deploys them disabled).')
param alertsEnabled bool = true

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${baseName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'fflexscaler'
    enabled: true
    emailReceivers: [
      for (address, i) in emailAddresses: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(webhookUrl)
      ? []
      : [
          {
            name: 'webhook'
            serviceUri: webhookUrl
            useCommonAlertSchema: true
          }
        ]
  }
}

// Each rule is stateful (autoMitigate): it fires once when its condition starts to hold, stays fired without
// notifying again while it holds, and resolves itself when it clears; the next incident fires anew. A
// muteActionsDuration would instead silence a stateless rule for a fixed time and then notify again
// while the same incident goes on, so it is not set.
var rules = [
  {
    name: 'failed-actions'
    displayName: 'FortiFlex scaler: license actions failed'
    description: 'A stop, reactivation, config switch or pool step failed, or a scale message was given up (ScalerActionFailed). Details: docs/operations.md.'
    severity: 2
    query: loadTextContent('../monitoring/alerts/failed-actions.kql')
    operator: 'GreaterThan'
    threshold: 0
    windowSize: 'PT10M'
  }
  {
    name: 'no-completed-run'
    displayName: 'FortiFlex scaler: no completed reconcile run for 30 minutes'
    description: 'No ScalerRunSummary with outcome "completed" for 30 minutes: the timer stopped or every run fails. Details: docs/operations.md.'
    severity: 1
    query: loadTextContent('../monitoring/alerts/completed-runs.kql')
    operator: 'LessThan'
    threshold: 1
    windowSize: 'PT30M'
  }
  {
    name: 'reactivation-pending'
    displayName: 'FortiFlex scaler: business hours started with licenses not reactivated'
    description: 'A run in business hours left reactivations or switches back undone (ScalerRunSummary reactivationsPending > 0). Details: docs/operations.md.'
    severity: 1
    query: loadTextContent('../monitoring/alerts/pending-reactivations.kql')
    operator: 'GreaterThan'
    threshold: 0
    windowSize: 'PT10M'
  }
  {
    name: 'delivery-failed'
    displayName: 'FortiFlex scaler: license delivery to a FortiGate failed'
    description: 'A pool license could not be delivered to a FortiGate in time (ScalerDeliveryFailed). Details: docs/operations.md.'
    severity: 2
    query: loadTextContent('../monitoring/alerts/failed-deliveries.kql')
    operator: 'GreaterThan'
    threshold: 0
    windowSize: 'PT10M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: 'alert-${baseName}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: alertsEnabled
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// The workbook queries the same component; its id is added here so the file stays environment-free.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, baseName, 'workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'FortiFlex scaler (${baseName})'
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: appInsightsId
    serializedData: string(union(loadJsonContent('../monitoring/workbook.json'), {
      fallbackResourceIds: [
        appInsightsId
      ]
    }))
  }
}

output actionGroupId string = actionGroup.id
output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
output workbookId string = workbook.id
