import { sctRequired, sctRequiredRule } from '../../../../../lib/domain/policy/rules/sct-required';
import { craftRecord, ctPoisonExtension, sctListExtension } from '../../../../support/crafted-certificates';
import { context, subject } from '../fixtures';

const params = sctRequiredRule.defaults;

describe('sct-required', () => {
  describe('Compliant', () => {
    it('a public TLS certificate with embedded SCTs', async () => {
      const certificate = await craftRecord({ extensions: [sctListExtension(2)] });
      expect(sctRequired(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('a public TLS certificate without SCTs', async () => {
      const result = sctRequired(subject(await craftRecord()), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { sctCount: 0 } });
      expect(result.outcome === 'violation' && result.message).toContain('no embedded SCTs');
    });
  });

  describe('not applicable', () => {
    it.each([
      ['a precertificate (CT poison)', { extensions: [ctPoisonExtension()] }, {}, /precertificate/],
      ['a privately issued certificate', {}, { issuerType: 'private' as const }, /privately issued/],
      ['a client certificate', { extendedKeyUsage: ['clientAuth' as const] }, {}, /not a TLS server/],
    ])('%s', async (_name, options, overrides, reason) => {
      const result = sctRequired(subject(await craftRecord(options)), params, context(overrides));
      expect(result).toMatchObject({ outcome: 'not-applicable', reason: expect.stringMatching(reason) });
    });

    it('a record stored before SCTs were read', async () => {
      const { sctCount: _sctCount, ...older } = await craftRecord();
      expect(sctRequired(subject(older), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  it('judges a certificate used as a TLS server whatever its key purposes', async () => {
    const certificate = await craftRecord({ extendedKeyUsage: ['clientAuth'] });
    expect(sctRequired(subject(certificate), params, context({ uses: ['tls-server'] }))).toMatchObject({
      outcome: 'violation',
    });
  });
});
