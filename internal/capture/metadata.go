package capture

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// ErrNotMetadata is wrapped when an input holds no metadata document.
var ErrNotMetadata = errors.New("not SAML metadata")

const expectedMetadata = "expected SAML metadata (an md:EntityDescriptor), `aws iam get-saml-provider` JSON, or the GetSAMLProvider XML of the IAM API"

// Provider is a SAML provider as an input describes it.
type Provider struct {
	// Source is the input's name.
	Source string `json:"source"`
	// Metadata is the metadata document, byte for byte as registered.
	Metadata []byte `json:"-"`
	// AssertionEncryptionMode and PrivateKeyIDs come from get-saml-provider
	// output when it has them ("" and nil for plain metadata).
	AssertionEncryptionMode string   `json:"assertion_encryption_mode,omitempty"`
	PrivateKeyIDs           []string `json:"private_key_ids,omitempty"`
	// Form names what the input was: "metadata", "get-saml-provider-json" or
	// "get-saml-provider-xml".
	Form string `json:"form"`
}

// getSAMLProviderJSON is the output of `aws iam get-saml-provider` (CLI v1
// and v2 print the API's members with their API names).
type getSAMLProviderJSON struct {
	SAMLMetadataDocument    *string `json:"SAMLMetadataDocument"`
	AssertionEncryptionMode string  `json:"AssertionEncryptionMode"`
	PrivateKeyList          []struct {
		KeyID string `json:"KeyId"`
	} `json:"PrivateKeyList"`
}

// getSAMLProviderXML is GetSAMLProvider's Query-protocol response.
type getSAMLProviderXML struct {
	Result struct {
		SAMLMetadataDocument    string `xml:"SAMLMetadataDocument"`
		AssertionEncryptionMode string `xml:"AssertionEncryptionMode"`
		PrivateKeyList          []struct {
			KeyID string `xml:"KeyId"`
		} `xml:"PrivateKeyList>member"`
	} `xml:"GetSAMLProviderResult"`
}

// ProviderMetadata finds the metadata document in data, an input called name:
// metadata XML itself, `aws iam get-saml-provider` JSON, or the IAM API's
// GetSAMLProviderResponse XML. It checks only that the document's root is an
// EntityDescriptor; package metadata does the full parse. Errors are one line,
// name the input and wrap ErrNotMetadata.
func ProviderMetadata(name string, data []byte) (*Provider, error) {
	d := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(d) == 0 {
		return nil, fmt.Errorf("%s: empty, %s (%w)", name, expectedMetadata, ErrNotMetadata)
	}
	p := &Provider{Source: name}
	switch d[0] {
	case '{':
		var j getSAMLProviderJSON
		if err := json.Unmarshal(d, &j); err != nil {
			return nil, fmt.Errorf("%s: JSON that does not parse (%v), %s (%w)", name, err, expectedMetadata, ErrNotMetadata)
		}
		if j.SAMLMetadataDocument == nil {
			return nil, fmt.Errorf("%s: JSON without SAMLMetadataDocument, %s (%w)", name, expectedMetadata, ErrNotMetadata)
		}
		p.Form, p.Metadata, p.AssertionEncryptionMode = "get-saml-provider-json", []byte(*j.SAMLMetadataDocument), j.AssertionEncryptionMode
		for _, k := range j.PrivateKeyList {
			p.PrivateKeyIDs = append(p.PrivateKeyIDs, k.KeyID)
		}
	case '<':
		switch root := rootName(d); root {
		case "EntityDescriptor":
			p.Form, p.Metadata = "metadata", data
		case "GetSAMLProviderResponse":
			var x getSAMLProviderXML
			if err := xml.Unmarshal(d, &x); err != nil {
				return nil, fmt.Errorf("%s: GetSAMLProviderResponse that does not parse (%v) (%w)", name, err, ErrNotMetadata)
			}
			p.Form, p.Metadata, p.AssertionEncryptionMode = "get-saml-provider-xml", []byte(x.Result.SAMLMetadataDocument), x.Result.AssertionEncryptionMode
			for _, k := range x.Result.PrivateKeyList {
				p.PrivateKeyIDs = append(p.PrivateKeyIDs, k.KeyID)
			}
		case "":
			return nil, fmt.Errorf("%s: not well-formed XML, %s (%w)", name, expectedMetadata, ErrNotMetadata)
		case "EntitiesDescriptor":
			return nil, fmt.Errorf("%s: an EntitiesDescriptor (a federation aggregate); IAM takes one EntityDescriptor, extract the IdP's (%w)", name, ErrNotMetadata)
		default:
			return nil, fmt.Errorf("%s: the XML root is <%s>, %s (%w)", name, root, expectedMetadata, ErrNotMetadata)
		}
	default:
		return nil, fmt.Errorf("%s: neither XML nor JSON, %s (%w)", name, expectedMetadata, ErrNotMetadata)
	}
	if r := rootName(bytes.TrimSpace(p.Metadata)); r != "EntityDescriptor" {
		if r == "" {
			r = "not XML"
		}
		return nil, fmt.Errorf("%s: SAMLMetadataDocument is %s, %s (%w)", name, describeRoot(r), expectedMetadata, ErrNotMetadata)
	}
	return p, nil
}

func describeRoot(r string) string {
	if r == "not XML" {
		return r
	}
	return "<" + r + ">"
}

// rootName returns the local name of the document's root element, or ""
// when the document does not start like XML. It reads at most 64 tokens, so
// it is cheap on any input.
func rootName(doc []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	for range 64 {
		tok, err := dec.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return ""
			}
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return ""
			}
		}
	}
	return ""
}
