export { CertificateInventory, type CertificateInventoryProps } from './certificate-inventory';
export { CertwardenStack, type CertwardenStackProps } from './certwarden-stack';
export { MemberAccountRole, MEMBER_ACCOUNT_ACTIONS, type MemberAccountRoleProps } from './member-account-role';
export { namePrefix, syncRoleName } from './stage-names';
export { loadEventSchemas, type EventSchemaDefinition } from './event-schemas';
export { BUNDLING, FUNCTION_ENTRIES, LAMBDA_RUNTIME } from './function-bundling';
export { certwardenMetric, type OperationsAlarmProps } from './operations-alarms';
