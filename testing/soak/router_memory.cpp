#include "testing/soak/router_memory.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace autobahn_sync::testing::soak {
namespace {

// Placed right before the pointer handed out; 16 bytes keep the default alignment.
struct header {
  std::uint32_t offset;  // from the start of the malloc'd block to the user pointer
  std::uint32_t by_router;
  std::uint64_t size;
};
static_assert(sizeof(header) == 16);

std::atomic<std::size_t> live_bytes_of_router{0};
thread_local bool on_router_thread = false;

void* allocate(std::size_t size, std::size_t alignment) noexcept {
  if (alignment < alignof(header)) alignment = alignof(header);
  const std::size_t extra = sizeof(header) + (alignment > sizeof(header) ? alignment : 0);
  auto* raw = static_cast<unsigned char*>(std::malloc(size + extra));
  if (!raw) return nullptr;
  auto address = reinterpret_cast<std::uintptr_t>(raw) + sizeof(header);
  address = (address + alignment - 1) & ~(std::uintptr_t(alignment) - 1);
  auto* user = reinterpret_cast<unsigned char*>(address);
  auto* h = reinterpret_cast<header*>(user) - 1;
  h->offset = static_cast<std::uint32_t>(user - raw);
  h->by_router = on_router_thread ? 1 : 0;
  h->size = size;
  if (h->by_router) live_bytes_of_router.fetch_add(size, std::memory_order_relaxed);
  return user;
}

void deallocate(void* p) noexcept {
  if (!p) return;
  auto* user = static_cast<unsigned char*>(p);
  auto* h = reinterpret_cast<header*>(user) - 1;
  if (h->by_router) live_bytes_of_router.fetch_sub(h->size, std::memory_order_relaxed);
  std::free(user - h->offset);
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
  for (;;) {
    if (void* p = allocate(size, alignment)) return p;
    auto handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

}  // namespace

void count_this_thread_as_router() { on_router_thread = true; }

std::size_t router_live_bytes() noexcept {
  return live_bytes_of_router.load(std::memory_order_relaxed);
}

}  // namespace autobahn_sync::testing::soak

namespace soak = autobahn_sync::testing::soak;
using soak_align = std::align_val_t;

void* operator new(std::size_t n) { return soak::allocate_or_throw(n, 0); }
void* operator new[](std::size_t n) { return soak::allocate_or_throw(n, 0); }
void* operator new(std::size_t n, soak_align a) {
  return soak::allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, soak_align a) {
  return soak::allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return soak::allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return soak::allocate(n, 0); }
void* operator new(std::size_t n, soak_align a, const std::nothrow_t&) noexcept {
  return soak::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, soak_align a, const std::nothrow_t&) noexcept {
  return soak::allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { soak::deallocate(p); }
void operator delete[](void* p) noexcept { soak::deallocate(p); }
void operator delete(void* p, std::size_t) noexcept { soak::deallocate(p); }
void operator delete[](void* p, std::size_t) noexcept { soak::deallocate(p); }
void operator delete(void* p, soak_align) noexcept { soak::deallocate(p); }
void operator delete[](void* p, soak_align) noexcept { soak::deallocate(p); }
void operator delete(void* p, std::size_t, soak_align) noexcept { soak::deallocate(p); }
void operator delete[](void* p, std::size_t, soak_align) noexcept { soak::deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { soak::deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { soak::deallocate(p); }
void operator delete(void* p, soak_align, const std::nothrow_t&) noexcept { soak::deallocate(p); }
void operator delete[](void* p, soak_align, const std::nothrow_t&) noexcept {
  soak::deallocate(p);
}
