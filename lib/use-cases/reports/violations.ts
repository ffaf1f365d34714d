import { RULE_IDS } from '../../domain/policy/catalog';
import type { Report, ReportColumn, ReportRow } from '../../domain/report';
import type { StoredViolation } from '../../ports/inventory-store';
import { KEY_MANAGEMENT_CONTROLS } from './controls';
import type { ReportRequest, ReportSources } from './sources';

const VIOLATION_COLUMNS: ReportColumn[] = [
  { key: 'rule', title: 'Rule', type: 'text' },
  { key: 'severity', title: 'Severity', type: 'text' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'subject', title: 'Subject CN', type: 'text' },
  { key: 'message', title: 'Finding', type: 'text' },
  { key: 'detectedAt', title: 'Detected at', type: 'date' },
  { key: 'state', title: 'State', type: 'text' },
  { key: 'exemption', title: 'Exemption', type: 'text' },
  { key: 'approvedBy', title: 'Approved by', type: 'text' },
  { key: 'exemptionExpiresAt', title: 'Exemption expires', type: 'date' },
];

const violationRow = (violation: StoredViolation): ReportRow => ({
  rule: violation.ruleId,
  severity: violation.severity,
  owner: violation.owner,
  location: violation.locationId,
  subject: violation.subjectCommonName,
  message: violation.message,
  detectedAt: violation.detectedAt,
  state: violation.exemption ? 'exempted' : 'open',
  exemption: violation.exemption ? (violation.exemption.id ?? violation.exemption.reason) : null,
  approvedBy: violation.exemption?.approvedBy ?? null,
  exemptionExpiresAt: violation.exemption?.expiresAt ?? null,
});

/**
 * Policy violations by rule (in the catalog's order, most severe first within a rule), each rule's open ones and
 * then those an exemption covers, with the exemption and when it runs out; with `owner`, that owner's alone.
 * Every read is a rule's (or the owner's) partitions of the indexes.
 */
export function violationsReport(sources: ReportSources, request: ReportRequest): Report {
  const { store } = sources;
  const { owner } = request;
  async function* rows(): AsyncGenerator<ReportRow> {
    if (owner) {
      for await (const violation of store.violationsByOwner(owner)) yield violationRow(violation);
    }
    for (const ruleId of RULE_IDS) {
      if (!owner) for await (const violation of store.violationsByRule(ruleId)) yield violationRow(violation);
      for await (const violation of store.violationsByRule(ruleId, { exempted: true }))
        if (!owner || violation.owner === owner) yield violationRow(violation);
    }
  }
  return {
    name: 'violations',
    title: 'Policy violations and exemptions',
    description:
      'Open policy violations by rule and owner, and the violations an exemption covers with its approver and expiry.',
    controls: KEY_MANAGEMENT_CONTROLS,
    readAt: sources.clock.now().toISOString(),
    parameters: { owner: owner ?? null },
    columns: VIOLATION_COLUMNS,
    rows: rows(),
  };
}
