// Semantic policy comparison: what API Management's normalisation changes is equal, what the policy means is not.
import assert from "node:assert/strict";
import {
  canonicalPolicy,
  DEFAULT_POLICY_XML,
  samePolicy,
} from "../../../src/reconcile/policy_xml.ts";

const SPEC = `<policies>
  <inbound>
    <base />
    <set-header name="X-Team" exists-action="override">
      <value>custom-value</value>
    </set-header>
  </inbound>
  <backend>
    <forward-request timeout="20" />
  </backend>
  <outbound />
</policies>
`;

Deno.test("API Management's normalised copy (CRLF, indentation, quotes, attribute order, empty elements) is the same policy", () => {
  const stored = [
    "<policies>",
    "  <inbound>",
    "    <base></base>",
    "    <set-header exists-action='override' name=\"X-Team\">",
    "      <value>custom-value</value>",
    "    </set-header>",
    "  </inbound>",
    "  <backend><forward-request   timeout='20'></forward-request></backend>",
    "  <outbound>\t  </outbound>",
    "</policies>",
  ].join("\r\n");
  assert.ok(samePolicy({ content: SPEC, format: "xml" }, stored));
});

Deno.test("a changed value, attribute or element is a different policy", () => {
  for (
    const changed of [
      SPEC.replace("custom-value", "other-value"),
      SPEC.replace('exists-action="override"', 'exists-action="skip"'),
      SPEC.replace("<base />\n    <set-header", "<set-header"),
    ]
  ) {
    assert.ok(!samePolicy({ content: SPEC, format: "xml" }, changed));
  }
});

Deno.test("rawxml expressions equal their escaped form in API Management's XML", () => {
  const raw =
    '<policies><inbound><set-variable name="n" value="@(context.Request.Headers.Count(h => h.Key.Length < 5))" /></inbound></policies>';
  const escaped =
    '<policies>\r\n  <inbound>\r\n    <set-variable name="n" value="@(context.Request.Headers.Count(h =&gt; h.Key.Length &lt; 5))" />\r\n  </inbound>\r\n</policies>';
  assert.ok(samePolicy({ content: raw, format: "rawxml" }, escaped));
  assert.equal(canonicalPolicy(raw, false), undefined, "not well-formed XML");
});

Deno.test("no policy of its own is the default <base /> policy", () => {
  assert.ok(
    samePolicy({ content: DEFAULT_POLICY_XML, format: "xml" }, undefined),
  );
  assert.ok(!samePolicy({ content: SPEC, format: "xml" }, undefined));
});

Deno.test("a policy that does not parse never matches (API Management says why when it is sent)", () => {
  const broken = "<policies><inbound><base /></policies>";
  assert.equal(canonicalPolicy(broken, false), undefined);
  assert.ok(!samePolicy({ content: broken, format: "xml" }, broken));
});

Deno.test("comments, CDATA and entities are compared by their meaning", () => {
  assert.equal(
    canonicalPolicy("<a><!-- note --><b><![CDATA[x < y]]></b></a>", false),
    canonicalPolicy("<a>\n  <!--note-->\n  <b>x &lt; y</b>\n</a>", false),
  );
  assert.equal(
    canonicalPolicy('<a v="&#65;&#x42;" />', false),
    canonicalPolicy("<a v='AB'/>", false),
  );
});
