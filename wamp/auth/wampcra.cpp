#include "wamp/auth/wampcra.hpp"

#include <ctime>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wamp/auth/secrets.hpp"
#include "wamp/base64.hpp"

namespace autobahn_sync::wamp::auth {

std::string wampcra_signature(std::string_view key, std::string_view challenge) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), mac, &length))
    throw std::runtime_error("HMAC-SHA256 failed");
  return base64_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

std::string wampcra_derive_key(std::string_view secret, std::string_view salt, int iterations, int keylen) {
  std::string key(static_cast<std::size_t>(keylen), '\0');
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        iterations, EVP_sha256(), keylen, reinterpret_cast<unsigned char*>(key.data())) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return base64_encode(key);
}

bool wampcra_verify(std::string_view key, std::string_view challenge, std::string_view signature) {
  return secrets_equal(wampcra_signature(key, challenge), signature);
}

std::string iso8601_utc(std::int64_t unix_ms) {
  // Floored, so that a time before 1970 reads -1 ms as 23:59:59.999 of the day before.
  const std::int64_t millis = ((unix_ms % 1000) + 1000) % 1000;
  const std::time_t seconds = static_cast<std::time_t>((unix_ms - millis) / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::string wampcra_challenge(std::string_view authid, std::string_view authrole,
                              std::string_view authprovider, wamp::id session, std::string_view nonce,
                              std::int64_t unix_ms) {
  wamp::value challenge = wamp::value::object();
  challenge["authid"] = authid;
  challenge["authrole"] = authrole;
  challenge["authmethod"] = "wampcra";
  challenge["authprovider"] = authprovider;
  challenge["nonce"] = nonce;
  challenge["timestamp"] = iso8601_utc(unix_ms);
  challenge["session"] = session;
  // Replaced rather than thrown on: the parts come from the configuration and the HELLO.
  return challenge.dump(-1, ' ', false, wamp::value::error_handler_t::replace);
}

}  // namespace autobahn_sync::wamp::auth
