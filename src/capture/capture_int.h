/* capture_int.h — private to src/capture: the live capture behind a vg_capture_t. */
#ifndef VG_CAPTURE_CAPTURE_INT_H
#define VG_CAPTURE_CAPTURE_INT_H

#include "capture/capture.h"

typedef struct vg_live vg_live_t;

vg_capture_t *vg_capture_wrap_live(vg_live_t *l);
enum vg_capture_result vg_live_next(vg_live_t *l, vg_packet_t *p);
unsigned vg_live_n_parts(const vg_live_t *l);
enum vg_capture_result vg_live_next_part(vg_live_t *l, unsigned k, vg_packet_t *p);
void vg_live_stop(vg_live_t *l);
void vg_live_free(vg_live_t *l);
const char *vg_live_error(const vg_live_t *l);
size_t vg_live_n_ifaces(const vg_live_t *l);
const char *vg_live_iface_name(const vg_live_t *l, size_t i);
void vg_live_kernel_stats(vg_live_t *l, size_t i, uint64_t *packets, uint64_t *drops);
void vg_live_socket_stats(const vg_live_t *l, size_t i, unsigned k, uint64_t *packets,
                          uint64_t *drops);

#endif
