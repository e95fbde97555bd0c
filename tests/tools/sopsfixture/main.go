// sopsfixture: encrypt a YAML file with SOPS (getsops/sops v3.9.0, the library Flux links) for
// an age recipient, to make eddy's decryption test fixtures with the reference implementation
// (not built by the tests: its output is committed).
//
//	go run . keygen > identity.agekey          # an age identity, its recipient in a comment
//	go run . RECIPIENT [ENCRYPTED_REGEX|-] [yaml|json|dotenv|binary|ini] < plain > encrypted
//	SOPS_AGE_KEY_FILE=identity.agekey go run . decrypt yaml|json|dotenv|binary|ini < encrypted > plain
//
// decrypt writes the file as Flux's kustomize-controller writes a decrypted secretGenerator
// input (sops's store of the format, with its default configuration): the bytes eddy's
// decryption must give (tests/unit/kustomize/test_sops.c holds them).
// RECIPIENT is an age recipient, or pgp:FINGERPRINT (a key of $GNUPGHOME's keyring); several,
// separated by ',', share one key group, and '+' separates key groups (sops's key_groups, with a
// Shamir threshold of $SHAMIR_THRESHOLD, or sops's default of every group).
// The fixtures: tests/e2e/fixtures/sops/{secret,configmap}.enc.yaml from secret.yaml
// ('^(data|stringData)$') and configmap.yaml ('^data$'), and the texts in
// tests/unit/kustomize/test_sops.c (typed.yaml with '^spec$'), and for secretGenerator
// tests/e2e/fixtures/sops/gen/{app.env,token.bin,creds.json}.enc from app.env (dotenv),
// token.bin (binary) and creds.json (json), all for identity.agekey there; and
// tests/e2e/fixtures/sops/pgp/secret.yaml from secret.yaml for the key pgp.asc there (made with
// `gpg --quick-gen-key "sops test <sops@eddy.invalid>" default default never`, no passphrase);
// tests/e2e/fixtures/sops/{mixed,groups}/secret.yaml from secret.yaml for identity.agekey's
// recipient and that PGP key, in one key group ("age1...,pgp:BFAC...") and in two
// ("age1...+pgp:BFAC...", Shamir threshold 2); tests/e2e/fixtures/sops/ini/conf.ini from
// conf.ini (ini) for identity.agekey; tests/e2e/fixtures/sops/ini/sections.ini (and
// tests/fuzz/corpus/sops/sections.enc.ini) from sections.ini (ini),
// tests/e2e/fixtures/sops/layout.enc.yaml from layout.yaml and
// tests/e2e/fixtures/sops/commented.enc.yaml from commented.yaml (yaml, '-'), the first two also
// in tests/unit/kustomize/test_sops.c with their decrypted text, as is scalars.yaml (yaml, '-').
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	fage "filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/pgp"
	"github.com/getsops/sops/v3/stores/dotenv"
	"github.com/getsops/sops/v3/stores/ini"
	"github.com/getsops/sops/v3/stores/json"
	"github.com/getsops/sops/v3/stores/yaml"
	"github.com/getsops/sops/v3/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sopsfixture:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 2 {
		return fmt.Errorf("usage: sopsfixture keygen | sopsfixture RECIPIENT [ENCRYPTED_REGEX] < plain.yaml")
	}
	if os.Args[1] == "keygen" {
		id, err := fage.GenerateX25519Identity()
		if err != nil {
			return err
		}
		fmt.Printf("# public key: %s\n%s\n", id.Recipient(), id)
		return nil
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	if os.Args[1] == "decrypt" && len(os.Args) > 2 {
		return decrypt(in, os.Args[2])
	}
	var store interface {
		LoadPlainFile([]byte) (sops.TreeBranches, error)
		EmitEncryptedFile(sops.Tree) ([]byte, error)
	} = &yaml.Store{}
	if len(os.Args) > 3 {
		switch os.Args[3] {
		case "dotenv":
			store = &dotenv.Store{}
		case "json":
			store = &json.Store{}
		case "binary":
			store = &json.BinaryStore{}
		case "ini":
			store = &ini.Store{}
		}
	}
	branches, err := store.LoadPlainFile(in)
	if err != nil {
		return err
	}
	meta := sops.Metadata{Version: version.Version}
	for _, group := range strings.Split(os.Args[1], "+") {
		var kg sops.KeyGroup
		for _, r := range strings.Split(group, ",") {
			var mk keys.MasterKey
			if fp, ok := strings.CutPrefix(r, "pgp:"); ok {
				mk = pgp.NewMasterKeyFromFingerprint(fp) // encrypted by gpg, with $GNUPGHOME's keyring
			} else if mk, err = age.MasterKeyFromRecipient(r); err != nil {
				return err
			}
			kg = append(kg, mk)
		}
		meta.KeyGroups = append(meta.KeyGroups, kg)
	}
	if t := os.Getenv("SHAMIR_THRESHOLD"); t != "" {
		if meta.ShamirThreshold, err = strconv.Atoi(t); err != nil {
			return err
		}
	}
	if len(os.Args) > 2 && os.Args[2] != "-" {
		meta.EncryptedRegex = os.Args[2]
	} else {
		meta.UnencryptedSuffix = "_unencrypted"
	}
	tree := sops.Tree{Branches: branches, Metadata: meta}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		return fmt.Errorf("data key: %v", errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}); err != nil {
		return err
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}

// decrypt writes in, a file sops encrypted in format, decrypted by sops's store for that format
// as kustomize-controller builds it (common.StoreForFormat with config.NewStoresConfig()).
func decrypt(in []byte, format string) error {
	store := common.StoreForFormat(formats.FormatFromString(format), config.NewStoresConfig())
	tree, err := store.LoadEncryptedFile(in)
	if err != nil {
		return err
	}
	key, err := tree.Metadata.GetDataKeyWithKeyServices(
		[]keyservice.KeyServiceClient{keyservice.NewLocalClient()}, nil)
	if err != nil {
		return err
	}
	if _, err := tree.Decrypt(key, aes.NewCipher()); err != nil {
		return err
	}
	out, err := store.EmitPlainFile(tree.Branches)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
