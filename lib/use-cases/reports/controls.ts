import type { ComplianceControl } from '../../domain/report';

/**
 * The controls the reports evidence, named as the frameworks name them: a reviewer looks a report up by the
 * requirement it answers.
 */
export const CONTROLS = {
  pciInventory: {
    framework: 'PCI DSS v4.0',
    id: '4.2.1.1',
    title:
      "An inventory of the entity's trusted keys and certificates used to protect PAN during transmission is maintained",
  },
  pciValid: {
    framework: 'PCI DSS v4.0',
    id: '4.2.1',
    title: 'Certificates used to safeguard PAN during transmission are confirmed as valid and not expired or revoked',
  },
  soc2Access: {
    framework: 'SOC 2',
    id: 'CC6.1',
    title:
      'Logical access security measures, including encryption and the management of keys, protect information assets',
  },
  soc2Transmission: {
    framework: 'SOC 2',
    id: 'CC6.7',
    title: 'The transmission of information is restricted and protected, including by encryption in transit',
  },
  isoCryptography: {
    framework: 'ISO/IEC 27001:2022',
    id: 'A.8.24',
    title:
      'Use of cryptography: rules for cryptography, including cryptographic key management, are defined and implemented',
  },
  nistDataInTransit: {
    framework: 'NIST CSF 2.0',
    id: 'PR.DS-02',
    title: 'The confidentiality, integrity, and availability of data-in-transit are protected',
  },
} as const satisfies Record<string, ComplianceControl>;

const { pciInventory, pciValid, soc2Access, soc2Transmission, isoCryptography, nistDataInTransit } = CONTROLS;

/** Certificates kept valid in transit: what expiry, revocation and use evidence. */
export const VALIDITY_CONTROLS: ComplianceControl[] = [pciValid, soc2Transmission, nistDataInTransit];
/** The inventory itself and who answers for each entry. */
export const INVENTORY_CONTROLS: ComplianceControl[] = [pciInventory, soc2Access, isoCryptography, nistDataInTransit];
/** Keys and algorithms held to rules: policy, crypto inventory, renewal and history. */
export const KEY_MANAGEMENT_CONTROLS: ComplianceControl[] = [pciInventory, soc2Access, isoCryptography];
