// Escapes text for an XML element or attribute.
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => {
    switch (char) {
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case "&":
        return "&amp;";
      case "'":
        return "&apos;";
      default:
        return "&quot;";
    }
  });
}

export type XmlValue = string | number | boolean | XmlNode | XmlValue[] | undefined;
export interface XmlNode {
  [name: string]: XmlValue;
}

// Renders a nested object as XML elements: arrays repeat the element, undefined is left out.
export function renderXml(node: XmlNode): string {
  let out = "";
  for (const [name, value] of Object.entries(node)) out += renderElement(name, value);
  return out;
}

function renderElement(name: string, value: XmlValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.map((item) => renderElement(name, item)).join("");
  if (typeof value === "object") return `<${name}>${renderXml(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}
