// @hyperexport/convert-qemu: Convert exported disks with qemu-img to qcow2, VHD, VHDX, VDI or raw.
export {};
