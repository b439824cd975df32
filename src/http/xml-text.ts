import { z } from '@hono/zod-openapi';
import { firstNonXmlChar } from '../edxml/xml-chars.js';

/**
 * A string that ends up in a signed edXML package: refused at the edge (422 VALIDATION_FAILED with
 * the field's path) when it holds a character XML 1.0 cannot carry. Accepted, such a subject was
 * numbered from the register and then failed to sign five times, leaving a gap in the register.
 * Chain the usual checks after it: `xmlText().trim().min(1).max(500)`.
 */
export const xmlText = () =>
  z.string().superRefine((value, ctx) => {
    const bad = firstNonXmlChar(value);
    if (bad) {
      const position = bad.index + 1;
      // `params.key` lets the message be said in Vietnamese too (src/http/validation-messages.ts).
      ctx.addIssue({ code: 'custom', message: `contains ${bad.codePoint} at character ${position}, which XML 1.0 cannot carry`, params: { key: 'xml_char', codePoint: bad.codePoint, position } });
    }
  });
