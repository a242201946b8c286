// Known-answer tests of the authentication cryptography, and rejection of every kind of bad
// answer. Vectors: RFC 4231 (HMAC-SHA256), PBKDF2-HMAC-SHA256 and WAMP-CRA values computed
// with Python's hashlib/hmac (commands in the comments), RFC 8032 section 7.1 (Ed25519).
#include "wamp/auth/cryptosign.hpp"
#include "wamp/auth/secrets.hpp"
#include "wamp/auth/wampcra.hpp"

#include <catch2/catch.hpp>

namespace auth = autobahn_sync::wamp::auth;

TEST_CASE("secrets compare equal only when identical", "[unit]") {
  CHECK(auth::secrets_equal("ticket-1", "ticket-1"));
  CHECK(auth::secrets_equal("", ""));
  CHECK_FALSE(auth::secrets_equal("ticket-1", "ticket-2"));
  CHECK_FALSE(auth::secrets_equal("ticket-1", "ticket-12"));
  CHECK_FALSE(auth::secrets_equal("", "x"));
}

TEST_CASE("hex round trip and rejection", "[unit]") {
  CHECK(auth::hex_encode(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
  CHECK(auth::hex_decode("0001ABff") == std::string("\x00\x01\xab\xff", 4));
  CHECK_FALSE(auth::hex_decode("abc"));
  CHECK_FALSE(auth::hex_decode("zz"));
}

TEST_CASE("injectable randomness makes nonces reproducible", "[unit]") {
  auto counting = [](unsigned char* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(i);
  };
  CHECK(auth::random_bytes(counting, 3) == std::string("\x00\x01\x02", 3));
  CHECK(auth::random_bytes(auth::system_random(), 32).size() == 32);
  CHECK(auth::random_bytes(auth::system_random(), 32) != auth::random_bytes(auth::system_random(), 32));
}

TEST_CASE("WAMP-CRA signatures match HMAC-SHA256 known answers", "[unit]") {
  // RFC 4231 test case 2, base64: python3 -c "import hmac,hashlib,base64;
  //   print(base64.b64encode(hmac.new(b'Jefe', b'what do ya want for nothing?', hashlib.sha256).digest()))"
  CHECK(auth::wampcra_signature("Jefe", "what do ya want for nothing?") ==
        "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  CHECK(auth::wampcra_signature("secret123", R"({"nonce":"abc"})") == "lYIB7ZG/9J/87flwH78c09VppbgU99xcrOLMMilJsrw=");
  CHECK(auth::wampcra_verify("secret123", R"({"nonce":"abc"})", "lYIB7ZG/9J/87flwH78c09VppbgU99xcrOLMMilJsrw="));
  CHECK_FALSE(auth::wampcra_verify("secret124", R"({"nonce":"abc"})", "lYIB7ZG/9J/87flwH78c09VppbgU99xcrOLMMilJsrw="));
  CHECK_FALSE(auth::wampcra_verify("secret123", R"({"nonce":"abd"})", "lYIB7ZG/9J/87flwH78c09VppbgU99xcrOLMMilJsrw="));
  CHECK_FALSE(auth::wampcra_verify("secret123", R"({"nonce":"abc"})", ""));
}

TEST_CASE("salted WAMP-CRA keys are base64 PBKDF2-HMAC-SHA256", "[unit]") {
  // hashlib.pbkdf2_hmac('sha256', b'password', b'salt', n, 32), base64.
  CHECK(auth::wampcra_derive_key("password", "salt", 1, 32) == "Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs=");
  CHECK(auth::wampcra_derive_key("password", "salt", 4096, 32) == "xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o=");
  // The derived key, as text, is the HMAC key (AutobahnPython's compute_wcs(derive_key(...))).
  const auto key = auth::wampcra_derive_key("secret123", "salt123", 1000, 32);
  CHECK(key == "Eu7CQLfR+/Ffb+275A4s9/6H/RGKYxM4s6IMrsNKzC8=");
  CHECK(auth::wampcra_signature(key, R"({"nonce":"abc"})") == "8xAPKbPsxfCFKz6H1roFoJf8DBlJFWc2j8HYr3YUB+Y=");
}

TEST_CASE("the WAMP-CRA challenge names the session and is stamped in ISO 8601 UTC", "[unit]") {
  CHECK(auth::iso8601_utc(1764039845678) == "2025-11-25T03:04:05.678Z");
  CHECK(auth::iso8601_utc(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(auth::iso8601_utc(-1000) == "1969-12-31T23:59:59.000Z");
  CHECK(auth::iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
  // Text that is not UTF-8 is replaced, not thrown on.
  CHECK(auth::wampcra_challenge("\xff", "r", "p", 1, "n", 0).find("\"authid\":\"\xef\xbf\xbd\"") != std::string::npos);
  const auto challenge = auth::wampcra_challenge("alice", "user", "static", 42, "nonce1", 1764039845678);
  const auto parsed = autobahn_sync::wamp::value::parse(challenge);
  CHECK(parsed["authid"] == "alice");
  CHECK(parsed["authrole"] == "user");
  CHECK(parsed["authmethod"] == "wampcra");
  CHECK(parsed["session"] == 42);
  CHECK(parsed["nonce"] == "nonce1");
  CHECK(parsed["timestamp"] == "2025-11-25T03:04:05.678Z");
}

TEST_CASE("Ed25519 matches RFC 8032 section 7.1", "[unit]") {
  struct vector {
    const char* seed;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const vector vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto& v : vectors) {
    const auto key = auth::ed25519_key::from_seed_hex(v.seed);
    REQUIRE(key);
    CHECK(key->public_key_hex() == v.public_key);
    const auto message = *auth::hex_decode(v.message);
    CHECK(auth::hex_encode(key->sign(message)) == v.signature);
    CHECK(auth::ed25519_verify(key->public_key(), message, *auth::hex_decode(v.signature)));
    CHECK_FALSE(auth::ed25519_verify(key->public_key(), message + "x", *auth::hex_decode(v.signature)));
  }
}

TEST_CASE("cryptosign: the client's answer verifies, and nothing else does", "[unit]") {
  const auto key = *auth::ed25519_key::from_seed_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const auto other = *auth::ed25519_key::from_seed_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const std::string challenge(32, '\x5a');
  const auto answer = key.sign_challenge(auth::hex_encode(challenge));
  REQUIRE(answer);
  CHECK(answer->size() == 192);
  CHECK(answer->substr(128) == auth::hex_encode(challenge));
  CHECK(auth::cryptosign_verify(key.public_key_hex(), challenge, *answer));
  CHECK_FALSE(auth::cryptosign_verify(other.public_key_hex(), challenge, *answer));
  CHECK_FALSE(auth::cryptosign_verify(key.public_key_hex(), std::string(32, '\x5b'), *answer));
  CHECK_FALSE(auth::cryptosign_verify(key.public_key_hex(), challenge, answer->substr(0, 128)));
  CHECK_FALSE(auth::cryptosign_verify(key.public_key_hex(), challenge, "zz" + answer->substr(2)));
  CHECK_FALSE(auth::cryptosign_verify("00", challenge, *answer));
  CHECK_FALSE(key.sign_challenge("not hex"));
  CHECK_FALSE(auth::ed25519_key::from_seed("short"));
}
